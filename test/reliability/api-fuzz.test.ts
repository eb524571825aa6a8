// A bounded fuzz run of the control API on real sockets: every answer to random requests is JSON
// with a 2xx/4xx status (never a 500 or a hang) and the proxy keeps forwarding. The seed is fixed
// and printed; VAURIEN_FUZZ_SEED=N replays or explores a run, VAURIEN_FUZZ_RUNS=N lengthens it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { parseRawAnswer } from '../helpers/control-api.js';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';
import { startApi } from '../api/harness.js';

/** Fixed, so every run of the suite sends the same requests; VAURIEN_FUZZ_SEED explores others. */
const SEED = Number(process.env['VAURIEN_FUZZ_SEED'] ?? 20_151_515);
const RUNS = Number(process.env['VAURIEN_FUZZ_RUNS'] ?? 1000);
/** Every answer comes this fast or the request is counted as hung (answers take ~1 ms). */
const ANSWER_TIMEOUT_MS = 2000;
const TOKEN = 'fuzz-t0ken';
const ALLOWED_ORIGIN = 'http://dashboard.test';

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly chunked: boolean;
}

const VALID_BODIES = [
  '{"name": "delay", "sleep": 0.01}',
  '{"name": "error", "inject": true, "warmup": 2}',
  '{"behavior": "20:delay,10:error", "options": {"delay": {"sleep": 0.5, "before": false}}}',
  '{"behavior": "99.9999999:delay,0.0000001:error"}',
  '{"name": "hang"}',
  '{"backend": "127.0.0.1:1"}',
  '{"backend": "[::1]:6379"}',
];

const text = (max: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength: max });
const printable = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[\\x21-\\x7e]{0,${max}}$`));

/** A valid body, cut, spliced or with random characters in it: JSON that is almost right. */
const mutatedJson = fc
  .tuple(fc.constantFrom(...VALID_BODIES), fc.nat(), fc.nat(), text(12), fc.constantFrom('cut', 'insert', 'replace', 'splice', 'nest', 'repeat'))
  .map(([valid, at, to, piece, how]) => {
    const a = at % (valid.length + 1);
    const b = to % (valid.length + 1);
    switch (how) {
      case 'cut':
        return valid.slice(0, a);
      case 'insert':
        return valid.slice(0, a) + piece + valid.slice(a);
      case 'replace':
        return valid.slice(0, a) + piece + valid.slice(a + piece.length);
      case 'splice':
        return valid.slice(0, Math.min(a, b)) + valid.slice(Math.max(a, b));
      case 'nest':
        return `${'['.repeat(b * 4)}${valid}${']'.repeat(a * 4)}`;
      default:
        return JSON.stringify({ behavior: Array.from({ length: 50 + (a % 150) }, (_, n) => `0.1:b${n}`).join(',') });
    }
  });

const body = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 6, arbitrary: mutatedJson.map((value) => Buffer.from(value)) },
  { weight: 3, arbitrary: fc.constantFrom(...VALID_BODIES).map((value) => Buffer.from(value)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 40 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')) },
);

const path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('/behavior', '/backend') },
  fc.constantFrom('/behavior', '/behavior/', '/behaviors', '/behaviors?details=true', '/behaviors/delay', '/behaviors/%E0%A4%A', '/backend', '/stats', '/metrics', '/', '*'),
  fc.tuple(fc.constantFrom('/behavior', '/behaviors/', '/backend', '/stats?'), printable(30)).map(([known, tail]) => known + tail),
  printable(60).map((tail) => `/${tail}`),
);

const method = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'PUT', 'POST') },
  { weight: 4, arbitrary: fc.constantFrom('DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,8}$/) },
  { weight: 1, arbitrary: printable(8) },
);

/** One header: absent, or a value among likely ones (mostly valid, so the fuzz reaches the routes) and noise. */
function header(name: string, absent: number, choices: ReadonlyArray<readonly [number, fc.Arbitrary<string>]>): fc.Arbitrary<Array<[string, string]>> {
  return fc.oneof(
    { weight: absent, arbitrary: fc.constant<Array<[string, string]>>([]) },
    ...choices.map(([weight, value]) => ({ weight, arbitrary: value.map((chosen): Array<[string, string]> => [[name, chosen]]) })),
  );
}

function headersOf(port: number): fc.Arbitrary<Array<[string, string]>> {
  return fc
    .tuple(
      header('Host', 1, [
        [12, fc.constantFrom('localhost', `127.0.0.1:${port}`, `[::1]:${port}`)],
        [1, fc.constantFrom(`evil.example:${port}`, '')],
        [1, printable(20)],
      ]),
      header('Origin', 10, [
        [2, fc.constantFrom(ALLOWED_ORIGIN, `http://127.0.0.1:${port}`)],
        [1, fc.constantFrom('http://evil.example', 'null')],
        [1, printable(30)],
      ]),
      header('Authorization', 1, [
        [12, fc.constantFrom(`Bearer ${TOKEN}`, `bearer ${TOKEN}`)],
        [1, fc.constantFrom('Bearer wrong', `Basic ${TOKEN}`)],
        [1, printable(30)],
      ]),
      header('Content-Type', 2, [
        [8, fc.constantFrom('application/json', 'application/json; charset=utf-8')],
        [1, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded')],
        [1, printable(30)],
      ]),
      header('Expect', 12, [
        [2, fc.constant('100-continue')],
        [1, fc.constant('a-pony')],
      ]),
      header('Access-Control-Request-Method', 12, [[1, fc.constantFrom('PUT', 'GET', 'DELETE')]]),
      fc.oneof(
        { weight: 6, arbitrary: fc.constant<Array<[string, string]>>([]) },
        { weight: 2, arbitrary: fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), printable(40)).map((pair): Array<[string, string]> => [pair]) },
        { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), text(10)).map((pair): Array<[string, string]> => [pair]) },
      ),
    )
    .map((groups) => groups.flat());
}

function requestBytes(request: FuzzRequest): Buffer {
  const head = [`${request.method} ${request.path} HTTP/1.1`, ...request.headers.map(([name, value]) => `${name}: ${value}`)];
  if (request.chunked) head.push('Transfer-Encoding: chunked');
  else if (request.body.length > 0 || request.method === 'PUT' || request.method === 'POST') head.push(`Content-Length: ${request.body.length}`);
  head.push('Connection: close');
  const body = request.chunked ? Buffer.concat([Buffer.from(`${request.body.length.toString(16)}\r\n`), request.body, Buffer.from('\r\n0\r\n\r\n')]) : request.body;
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Sends the request and resolves with everything answered until the server closed; rejects on a hang. */
function exchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(bytes));
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => {}); // a reset after the answer: the answer is what counts
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => {
      socket.destroy();
      reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms; got ${JSON.stringify(answer.slice(0, 200))}`));
    });
  });
}

function checkAnswer(request: FuzzRequest, raw: string): void {
  const answer = parseRawAnswer(raw);
  assert.ok(answer !== undefined, `not an HTTP answer: ${JSON.stringify(raw.slice(0, 300))}`);
  assert.ok((answer.status >= 200 && answer.status < 300) || (answer.status >= 400 && answer.status < 500), `status ${answer.status}: ${raw.slice(0, 300)}`);
  if (answer.status === 204 || (request.method === 'HEAD' && answer.status < 300)) {
    assert.equal(answer.body, '', `${answer.status} with a body`);
    return;
  }
  const type = answer.headers['content-type'] ?? '';
  if (answer.status < 300 && type.startsWith('text/plain')) return; // GET /metrics
  if (request.method === 'HEAD') return; // the error's headers, without its body
  assert.match(type, /^application\/json/, raw.slice(0, 300));
  assert.equal(Buffer.byteLength(answer.body, 'latin1'), Number(answer.headers['content-length']), 'a cut answer');
  const json = JSON.parse(Buffer.from(answer.body, 'latin1').toString('utf8')) as { status?: unknown; errors?: unknown };
  if (answer.status >= 400) {
    assert.equal(json.status, 'error', raw.slice(0, 300));
    assert.ok(Array.isArray(json.errors) && json.errors.length > 0, raw.slice(0, 300));
    for (const error of json.errors as unknown[]) {
      assert.deepEqual(Object.keys(error as object).sort(), ['description', 'location', 'name']);
      for (const value of Object.values(error as object)) assert.equal(typeof value, 'string');
    }
  }
}

test(`control-API fuzz: ${RUNS} random requests get a JSON 2xx/4xx, never a 500 or a hang, and the proxy keeps forwarding (seed ${SEED})`, { timeout: 60_000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (replay with VAURIEN_FUZZ_SEED=${SEED})`);
  const echo = await startEchoServer(t);
  const { api, proxy, port } = await startApi(t, { backend: echo.address }, { token: TOKEN, cors: [ALLOWED_ORIGIN] });
  const request = fc.record({ method, path, headers: headersOf(api.address.port), body, chunked: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) });
  let sent = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (fuzz) => {
      sent++;
      const raw = await exchange(api.address.port, requestBytes(fuzz));
      checkAnswer(fuzz, raw);
      const status = parseRawAnswer(raw)?.status ?? 0;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      // A valid request may have set `hang` or moved the backend: put them back, then check that
      // traffic still flows through the proxy, promptly.
      proxy.setBehavior('dummy');
      proxy.setBackend(echo.address);
      const started = performance.now();
      assert.equal((await roundTrip(port, Buffer.from(`ping ${sent}`))).toString(), `ping ${sent}`);
      assert.ok(performance.now() - started < ANSWER_TIMEOUT_MS, 'the proxy was held up');
    }),
    { seed: SEED, numRuns: RUNS },
  );
  t.diagnostic(`${sent} requests; statuses ${[...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`);
});
