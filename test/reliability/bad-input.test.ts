// Bad input never takes vaurien down: cut, damaged and random traffic of every protocol through
// a live proxy comes out byte for byte (or the connection ends cleanly) and the proxy keeps
// serving; malformed control-API requests get a 4xx, never a 500; absurd option values are
// refused with a message naming the option, from the command line, the config file, the
// control API and createProxy alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Writable } from 'node:stream';
import { parseCommandLine } from '../../lib/cli/vaurien-program.js';
import { isUsageError, ReportedUsageError } from '../../lib/cli/usage-error.js';
import { createProxy, type ProxyOptions } from '../../lib/proxy/proxy.js';
import { startApi } from '../api/harness.js';
import { runVaurien } from '../helpers/cli.js';
import { settle } from '../helpers/process-stats.js';
import { CORPUS, trafficOf } from '../helpers/protocol-corpus.js';
import { startTestProxy } from '../helpers/proxy.js';
import { rawCall, startEchoServer, startTcpServer } from '../helpers/sockets.js';

const SESSIONS = 40;

/** Sends `bytes` in random pieces, half-closes, and resolves with all it got until the end. */
function session(port: number, bytes: Buffer, pieces: number[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      let at = 0;
      for (const size of pieces) {
        if (at >= bytes.length) break;
        socket.write(bytes.subarray(at, at + 1 + (size % 512)));
        at += 1 + (size % 512);
      }
      socket.end(bytes.subarray(at));
    });
    const parts: Buffer[] = [];
    socket.on('data', (data: Buffer) => parts.push(data));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => reject(new Error('the session never ended')));
  });
}

for (const protocol of Object.keys(CORPUS)) {
  test(`${protocol}: ${SESSIONS} sessions of cut, damaged and random traffic through a live proxy come back byte for byte, and it keeps serving`, async (t) => {
    const echo = await startEchoServer(t);
    // A backend that says its piece (damaged answers) and closes, whatever it is sent.
    const answers: Buffer[] = [];
    const talker = await startTcpServer(t, (socket) => {
      socket.resume();
      socket.end(answers.shift() ?? Buffer.alloc(0));
    });
    const toEcho = await startTestProxy(t, { backend: echo.address, protocol });
    const toTalker = await startTestProxy(t, { backend: talker.address, protocol });
    const traffic = fc.sample(fc.tuple(trafficOf(protocol), fc.array(fc.nat(), { maxLength: 10 })), { numRuns: SESSIONS, seed: 42 });

    await Promise.all(
      traffic.map(async ([steps, pieces]) => {
        const up = Buffer.concat(steps.filter(([direction]) => direction === 'request').map(([, bytes]) => bytes));
        assert.deepEqual(await session(toEcho.port, up, pieces), up);
      }),
    );
    for (const [steps, pieces] of traffic) {
      const down = Buffer.concat(steps.filter(([direction]) => direction === 'response').map(([, bytes]) => bytes));
      answers.push(down);
      assert.deepEqual(await session(toTalker.port, Buffer.alloc(0), pieces), down);
    }
    for (const { proxy } of [toEcho, toTalker]) {
      assert.equal(await settle(() => proxy.stats().connections.open, (open) => open === 0), 0, 'connections were left open');
    }
    const hello = Buffer.from(protocol === 'mysql' ? '\x01\x00\x00\x00\x0e' : (CORPUS[protocol]?.request[0] as string), 'latin1');
    assert.deepEqual(await session(toEcho.port, hello, []), hello, 'the proxy stopped serving');
  });
}

const withBody = (body: string): string => `PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

test('malformed control-API requests get a 4xx, never a 500, and the API and the proxy go on', async (t) => {
  const echo = await startEchoServer(t);
  const { api, call, port } = await startApi(t, { backend: echo.address });
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  const cases: Array<[string, RegExp]> = [
    ['\x00\x01\x02 not http at all\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['GET /behavior HTTP/9.9\r\nHost: localhost\r\n\r\n', /^HTTP\/1\.1 (400|505) /],
    ['GET /behaviors/%E0%A4%A HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 404 /],
    ['GET /behaviors/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 404 /],
    [`GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 (414|431) /],
    [`GET /behavior HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(100_000)}\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ['BREW /behavior HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 (400|405) /],
    ['PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4\r\nConnection: close\r\n\r\n\xff\xfe\x00\x01', /^HTTP\/1\.1 400 /],
    [withBody(deep), /^HTTP\/1\.1 400 /],
    [withBody('{"name":"delay","sleep":1e309}'), /^HTTP\/1\.1 400 [^]*expected a number, got Infinity/],
    [withBody('{"name":"delay","__proto__":{"sleep":5}}'), /^HTTP\/1\.1 400 [^]*delay has no option \\"__proto__\\"/],
    [withBody('{"name":"delay","constructor":1}'), /^HTTP\/1\.1 400 [^]*delay has no option \\"constructor\\"/],
    [withBody('{"behavior":"10:delay","options":{"delay":{"toString":1}}}'), /^HTTP\/1\.1 400 [^]*delay has no option \\"toString\\"/],
  ];
  for (const [request, expected] of cases) {
    const answer = await rawCall(api.address.port, request);
    assert.match(answer, expected, `${JSON.stringify(request.slice(0, 60))} got ${JSON.stringify(answer.slice(0, 300))}`);
  }
  assert.deepEqual((await call('GET', '/behavior')).json, { behavior: 'dummy', options: {} });
  const client = connect({ port, host: '127.0.0.1' });
  t.after(() => client.destroy());
  client.write('still proxying');
  const echoed = await new Promise<string>((resolve) => client.once('data', (data: Buffer) => resolve(data.toString())));
  assert.equal(echoed, 'still proxying');
});

/** Absurd values of `sleep` (and of the proxy's own numbers), as a user could type them. */
const ABSURD_SLEEPS: Array<[string, RegExp]> = [
  ['-1', /must be at least 0, got -1/],
  ['NaN', /expected a number, got "NaN"/],
  ['Infinity', /expected a number, got "Infinity"/],
  ['1e12', /must be at most 2147483, got 1000000000000/],
  ['1e999', /must be at most 2147483, got Infinity/],
  ['0x10', /expected a number, got "0x10"/],
  ['', /expected a number, got ""/],
];

/**
 * Parses a command line as `vaurien` does (same code, in this process: fast) and returns the
 * message of the usage error it raises, or undefined when it is accepted.
 */
async function refusal(argv: string[]): Promise<string | undefined> {
  let written = '';
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((written += chunk.toString()), done()) });
  try {
    await parseCommandLine(argv, { stdout: sink, stderr: sink });
    return undefined;
  } catch (error) {
    assert.ok(isUsageError(error), `not a usage error: ${String(error)}`);
    return error instanceof ReportedUsageError ? written.trim() : error.message;
  }
}

test('absurd option values on the command line are refused with one line naming the flag (exit 2)', async () => {
  const cases: Array<[string[], RegExp]> = [
    ...ABSURD_SLEEPS.map(([value, message]): [string[], RegExp] => [['--behavior', '10:delay', '--behavior-delay-sleep', value], new RegExp(`--behavior-delay-sleep: ${message.source}`)]),
    [['--timeout', '-5'], /--timeout: must be at least 0\.001, got -5/],
    [['--timeout', '1e12'], /--timeout: must be at most 2147483/],
    [['--grace', '-1'], /--grace: must be at least 0, got -1/],
    [['--grace', 'NaN'], /--grace: expected a number/],
    [['--backlog', '0'], /--backlog: must be at least 1/],
    [['--http-port', '70000'], /--http-port: must be at most 65535/],
    [['--pool-timeout', '1e400'], /--pool-timeout: must be at most/],
    [['--behavior-error-warmup', '-3'], /--behavior-error-warmup: must be at least 0/],
    [['--behavior-transient-agitate', '1e30'], /--behavior-transient-agitate: expected an integer/],
    [['--protocol-tcp-buffer', '0'], /--protocol-tcp-buffer: must be at least 1/],
    [['--protocol-http-buffer', '99999999999'], /--protocol-http-buffer: must be at most/],
  ];
  for (const [args, expected] of cases) {
    const message = await refusal(args);
    assert.ok(message !== undefined, `vaurien ${args.join(' ')} was accepted`);
    assert.match(message, expected, `vaurien ${args.join(' ')}`);
  }
  // And the real command says it in one line, with status 2.
  const { code, stderr } = await runVaurien(['--behavior', '10:delay', '--behavior-delay-sleep', 'Infinity']);
  assert.equal(code, 2);
  assert.equal(stderr, 'vaurien: --behavior-delay-sleep: expected a number, got "Infinity"\n');
});

test('absurd option values in a config file are refused naming the file, the section and the key (exit 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-absurd-'));
  for (const [n, [value, message]] of ABSURD_SLEEPS.entries()) {
    const file = join(dir, `absurd-${n}.ini`);
    writeFileSync(file, `[vaurien]\nbehavior = 10:delay\n\n[behavior:delay]\nsleep = ${value}\n`);
    const refused = await refusal(['--config', file]);
    assert.ok(refused !== undefined, `sleep = ${value} was accepted`);
    assert.match(refused, new RegExp(`absurd-${n}\\.ini: \\[behavior:delay\\] sleep: ${message.source}`));
  }
  const file = join(dir, 'timeout.ini');
  writeFileSync(file, '[vaurien]\ntimeout = 1e999\n');
  const { code, stderr } = await runVaurien(['--config', file]);
  assert.equal(code, 2);
  assert.match(stderr, /^vaurien: .*timeout\.ini: \[vaurien\] timeout: must be at most 2147483, got Infinity\n$/);
});

test('absurd option values through the control API get a 400 naming the option, and change nothing', async (t) => {
  const echo = await startEchoServer(t);
  const { call } = await startApi(t, { backend: echo.address, behavior: '10:delay', behaviorOptions: { delay: { sleep: 0.5 } } });
  const cases: Array<[unknown, RegExp]> = [
    [-1, /delay\.sleep: must be at least 0, got -1/],
    [1e12, /delay\.sleep: must be at most 2147483/],
    ['NaN', /delay\.sleep: expected a number, got "NaN"/],
    ['Infinity', /delay\.sleep: expected a number, got "Infinity"/],
    [null, /delay\.sleep: expected a number, got null/],
    [[1], /delay\.sleep: expected a number/],
    [{ seconds: 1 }, /delay\.sleep: expected a number/],
  ];
  for (const [sleep, message] of cases) {
    const answer = await call('PUT', '/behavior', { name: 'delay', sleep });
    assert.equal(answer.status, 400, `sleep ${JSON.stringify(sleep)}: ${answer.text}`);
    assert.equal(answer.json.errors[0].name, 'sleep');
    assert.match(answer.json.errors[0].description, message);
  }
  const huge = await call('PUT', '/behavior', '{"name": "delay", "sleep": 1e309}');
  assert.equal(huge.status, 400);
  assert.match(huge.json.errors[0].description, /delay\.sleep: expected a number, got Infinity/);
  const weighted = await call('PUT', '/behavior', { behavior: '10:delay,10:error', options: { error: { warmup: -2 } } });
  assert.equal(weighted.status, 400);
  assert.match(weighted.json.errors[0].description, /error\.warmup: must be at least 0, got -2/);
  assert.deepEqual((await call('GET', '/behavior')).json, { behavior: '10:delay', options: { delay: { sleep: 0.5, before: true } } });
});

test('absurd values given to createProxy throw a UsageError naming the option', () => {
  const cases: Array<[Partial<ProxyOptions>, RegExp]> = [
    [{ behavior: '10:delay', behaviorOptions: { delay: { sleep: Number.NaN } } }, /--behavior-delay-sleep: expected a number, got NaN/],
    [{ behavior: '10:delay', behaviorOptions: { delay: { sleep: -1 } } }, /--behavior-delay-sleep: must be at least 0/],
    [{ behavior: '10:delay', behaviorOptions: { delay: { sleep: Number.POSITIVE_INFINITY } } }, /--behavior-delay-sleep: expected a number, got Infinity/],
    [{ timeout: Number.NaN }, /--timeout/],
    [{ timeout: -1 }, /--timeout/],
    [{ timeout: Number.POSITIVE_INFINITY }, /--timeout/],
    [{ timeout: 1e12 }, /--timeout/],
    [{ protocolOptions: { buffer: 0 } }, /--protocol-tcp-buffer: must be at least 1/],
    [{ protocol: 'redis', protocolOptions: { reuse_socket: true }, poolTimeout: Number.POSITIVE_INFINITY }, /--pool-timeout/],
    [{ protocol: 'redis', protocolOptions: { reuse_socket: true }, poolMaxSize: Number.NaN }, /--pool-max-size/],
    [{ numbering: { first: 1, step: 0 } }, /numbering: first and step must be whole numbers of at least 1/],
    [{ numbering: { first: 0.5, step: 2 } }, /numbering/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => createProxy({ backend: '127.0.0.1:1', ...options }),
      (error: unknown) => isUsageError(error) && message.test((error as Error).message),
      `createProxy(${JSON.stringify(options, (_key, value: unknown) => (typeof value === 'number' ? String(value) : value))}) did not refuse with ${message}`,
    );
  }
});
