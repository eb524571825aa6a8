// HTTP through the proxy, as a client sees it: a real node:http backend, undici (or a raw
// socket where the bytes themselves matter) in front, every behavior applied per request.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, Client, Pool, request } from 'undici';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { eventually, startHttpServer, type TestHttpServer } from '../helpers/http-server.js';
import { rawClient, startTcpServer, type RawClient } from '../helpers/sockets.js';
import type { RawOptions } from '../../lib/proxy/proxy.js';

// ---------- the backend application ----------

/** Deterministic bytes, so a big body can be checked without keeping a copy around. */
function pattern(size: number): Buffer {
  const unit = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 31 + 7) & 0xff));
  return Buffer.alloc(size, unit);
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Each answer names its request (`GET /a 0`: method, url, body length), so mix-ups show. */
function app(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://backend');
  switch (url.pathname) {
    case '/big': {
      const body = pattern(Number(url.searchParams.get('size')));
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
      return;
    }
    case '/echo':
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked
      req.pipe(res);
      return;
    case '/chunked':
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('one,');
      setTimeout(() => {
        res.write('two,');
        res.addTrailers({ 'x-checksum': 'abc123' });
        res.end('three');
      }, 20);
      return;
    case '/no-content':
      req.resume();
      res.writeHead(204).end();
      return;
    case '/not-modified':
      req.resume();
      res.writeHead(304, { etag: '"v1"' }).end();
      return;
  }
  let length = 0;
  req.on('data', (data: Buffer) => (length += data.length));
  req.on('end', () => {
    const body = `${req.method} ${req.url} ${length}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

interface Setup {
  readonly backend: TestHttpServer;
  readonly proxy: TestProxy;
  readonly origin: string;
  readonly agent: Agent;
}

async function setup(t: TestContext, behavior = '100:dummy', behaviorOptions: Record<string, RawOptions> = {}): Promise<Setup> {
  const backend = await startHttpServer(t, app);
  const proxy = await startTestProxy(t, { backend: backend.address, protocol: 'http', behavior, behaviorOptions });
  const agent = new Agent();
  t.after(() => agent.destroy());
  return { backend, proxy, origin: `http://127.0.0.1:${proxy.port}`, agent };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

async function get(s: Setup, path: string, options: { method?: string; body?: Buffer; headersTimeout?: number } = {}): Promise<Answer> {
  const response = await request(`${s.origin}${path}`, { dispatcher: s.agent, ...options } as Parameters<typeof request>[1]);
  return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
}

const ERROR_STATUSES = [501, 502, 503];
const exchangesOf = (proxy: TestProxy): number => Object.values(proxy.proxy.stats().exchanges).reduce((a, b) => a + b, 0);

/** Waits until the raw client has received `text` (latin1) somewhere in what it got. */
async function waitForText(client: RawClient, text: string, timeoutMs = 3000): Promise<string> {
  await eventually(() => client.received().toString('latin1').includes(text), timeoutMs);
  return client.received().toString('latin1');
}

// ---------- dummy: nothing changes ----------

test('a 5 MB GET and a 5 MB POST cross the http proxy byte-exact', async (t) => {
  const s = await setup(t);
  const size = 5 * 1024 * 1024;
  const big = await get(s, `/big?size=${size}`);
  assert.equal(big.status, 200);
  assert.equal(big.body.length, size);
  assert.equal(sha(big.body), sha(pattern(size)));

  const upload = randomBytes(size);
  const echoed = await get(s, '/echo', { method: 'POST', body: upload });
  assert.equal(echoed.status, 200);
  assert.equal(echoed.body.length, size);
  assert.equal(sha(echoed.body), sha(upload));
});

test('one keep-alive connection carries 50 requests, each answered with its own body', async (t) => {
  const s = await setup(t);
  const client = new Client(s.origin);
  t.after(() => client.destroy());
  for (let i = 0; i < 50; i++) {
    const method = i % 2 === 0 ? 'GET' : 'POST';
    const response = await client.request({ path: `/item/${i}`, method, ...(method === 'POST' ? { body: `payload ${i}` } : {}) });
    assert.equal(await response.body.text(), `${method} /item/${i} ${method === 'POST' ? `payload ${i}`.length : 0}`);
  }
  assert.equal(s.proxy.proxy.stats().connections.total, 1, 'the client opened more than one connection');
  assert.equal(s.backend.connections, 1, 'the proxy opened more than one backend connection');
  assert.equal(exchangesOf(s.proxy), 50);
});

test('pipelined requests (undici, pipelining 10) each get their own response', async (t) => {
  const s = await setup(t);
  const client = new Client(s.origin, { pipelining: 10 });
  t.after(() => client.destroy());
  const answers = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const response = await client.request({ path: `/p/${i}`, method: 'GET' });
      return response.body.text();
    }),
  );
  answers.forEach((body, i) => assert.equal(body, `GET /p/${i} 0`));
  assert.equal(s.proxy.proxy.stats().connections.total, 1);
});

test('three requests in one write are answered in order', async (t) => {
  const s = await setup(t);
  const client = await rawClient(t, s.proxy.port);
  client.socket.write(
    'GET /one HTTP/1.1\r\nHost: x\r\n\r\n' + 'POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' + 'GET /three HTTP/1.1\r\nHost: x\r\n\r\n',
  );
  const text = await waitForText(client, 'GET /three 0');
  const order = ['GET /one 0', 'POST /two 3', 'GET /three 0'].map((body) => text.indexOf(body));
  assert.ok(order.every((at, i) => at > (order[i - 1] ?? -1)), `answers out of order: ${JSON.stringify(text)}`);
  assert.equal(exchangesOf(s.proxy), 3);
});

test('HEAD gets headers and no body, and the next answer on the connection is its own exchange', async (t) => {
  // undici closes a connection after HEAD, so a raw socket keeps it open. delay before=false
  // holds each exchange's answer once: had the HEAD answer been framed with a body, the GET's
  // answer would have been swallowed into it and come without its own delay.
  const s = await setup(t, '100:delay', { delay: { sleep: 0.2, before: false } });
  const client = await rawClient(t, s.proxy.port);
  const started = performance.now();
  client.socket.write('HEAD /page HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n');
  const text = await waitForText(client, 'GET /after 0');
  const elapsed = performance.now() - started;
  const [headAnswer, getAnswer] = text.split(/(?=HTTP\/1\.1 )/);
  assert.match(headAnswer ?? '', new RegExp(`^HTTP/1\\.1 200 OK\r\n[^]*content-length: ${'HEAD /page 0'.length}\r\n[^]*\r\n\r\n$`));
  assert.ok(getAnswer?.endsWith('\r\n\r\nGET /after 0'), JSON.stringify(getAnswer));
  assert.ok(elapsed >= 390 && elapsed < 2000, `both answers took ${elapsed} ms: not delayed once each`);
  assert.equal(s.backend.connections, 1);
});

test('204 and 304 have no body, and the connection goes on', async (t) => {
  const s = await setup(t);
  const client = new Client(s.origin);
  t.after(() => client.destroy());
  const none = await client.request({ path: '/no-content', method: 'DELETE' });
  assert.equal(none.statusCode, 204);
  assert.equal(await none.body.text(), '');
  const same = await client.request({ path: '/not-modified', method: 'GET', headers: { 'if-none-match': '"v1"' } });
  assert.equal(same.statusCode, 304);
  assert.equal(same.headers['etag'], '"v1"');
  assert.equal(await same.body.text(), '');
  const next = await client.request({ path: '/after', method: 'GET' });
  assert.equal(await next.body.text(), 'GET /after 0');
  assert.equal(s.backend.connections, 1);
});

test('a chunked response with trailers arrives whole', async (t) => {
  const s = await setup(t);
  const response = await request(`${s.origin}/chunked`, { dispatcher: s.agent });
  assert.equal(response.headers['transfer-encoding'], 'chunked');
  assert.equal(await response.body.text(), 'one,two,three');
  assert.equal(response.trailers['x-checksum'], 'abc123');
});

test('Expect: 100-continue: the client gets 100 Continue, sends its body, then the answer', async (t) => {
  const s = await setup(t);
  const client = await rawClient(t, s.proxy.port);
  client.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n');
  const interim = await waitForText(client, '\r\n\r\n');
  assert.equal(interim, 'HTTP/1.1 100 Continue\r\n\r\n');
  client.socket.write('hello world');
  const text = await waitForText(client, 'POST /upload 11');
  assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  // and the same connection serves the next request
  client.socket.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitForText(client, 'GET /next 0');
});

test('error answers an Expect: 100-continue request at once, without waiting for a body that never comes', async (t) => {
  const s = await setup(t, '100:error');
  const client = await rawClient(t, s.proxy.port);
  const started = performance.now();
  client.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n');
  const text = await waitForText(client, '</html>', 2000);
  assert.match(text, /^HTTP\/1\.1 50[123] /);
  assert.ok(performance.now() - started < 900, 'the error waited for the body');
  await client.ended;
  assert.equal(s.backend.seen.length, 0);
});

test('after 101 Switching Protocols, raw bytes flow both ways unchanged', async (t) => {
  const s = await setup(t);
  s.backend.server.on('upgrade', (_req, socket, head: Buffer) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nwelcome;');
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  const client = await rawClient(t, s.proxy.port);
  client.socket.write('GET /socket HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
  const greeting = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nwelcome;';
  await client.waitFor(greeting.length);
  assert.equal(client.received().toString('latin1'), greeting);
  // Bytes that look like HTTP, then noise: none of it is framed any more.
  const payload = Buffer.concat([Buffer.from('GET /not-a-request HTTP/1.1\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'), randomBytes(300_000)]);
  client.socket.write(payload);
  const all = await client.waitFor(greeting.length + payload.length);
  assert.ok(all.subarray(greeting.length).equals(payload), 'the upgraded stream changed');
  assert.equal(exchangesOf(s.proxy), 1);
  assert.equal(s.backend.seen.length, 0, 'an upgrade is not a request event');
});

test('a CONNECT answered 200 becomes a raw tunnel', async (t) => {
  const s = await setup(t);
  s.backend.server.on('connect', (_req, socket, head: Buffer) => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  const client = await rawClient(t, s.proxy.port);
  client.socket.write('CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n');
  const established = 'HTTP/1.1 200 Connection Established\r\n\r\n';
  await client.waitFor(established.length);
  const payload = randomBytes(100_000);
  client.socket.write(payload);
  const all = await client.waitFor(established.length + payload.length);
  assert.ok(all.subarray(established.length).equals(payload));
});

test('a malformed request reaches the backend unchanged and its answer comes back', async (t) => {
  const s = await setup(t);
  const client = await rawClient(t, s.proxy.port);
  client.socket.write('THIS IS NOT HTTP AT ALL\r\n\r\n');
  await client.ended;
  assert.match(client.received().toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n/);
});

test('Connection: close gets its answer, then the connection closes', async (t) => {
  const s = await setup(t);
  const client = await rawClient(t, s.proxy.port);
  client.socket.write('GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await client.ended;
  const text = client.received().toString('latin1');
  assert.match(text, /\r\nConnection: close\r\n/i);
  assert.ok(text.endsWith('GET /bye 0'));
});

test('a backend that refuses connections gives the client a 502 Bad Gateway', async (t) => {
  const gone = await startTcpServer(t, () => {});
  await new Promise((resolve) => gone.server.close(resolve));
  const proxy = await startTestProxy(t, { backend: gone.address, protocol: 'http' });
  const agent = new Agent();
  t.after(() => agent.destroy());
  const response = await request(`http://127.0.0.1:${proxy.port}/anything`, { dispatcher: agent });
  assert.equal(response.statusCode, 502);
  assert.equal(response.headers['connection'], 'close');
  assert.match(await response.body.text(), /502 Bad Gateway/);
});

// ---------- behaviors through http ----------

test('delay before=true holds the request: the backend gets it `sleep` seconds late', async (t) => {
  const s = await setup(t, '100:delay', { delay: { sleep: 0.3, before: true } });
  const started = performance.now();
  const answer = await get(s, '/slow');
  const elapsed = performance.now() - started;
  assert.equal(answer.body.toString(), 'GET /slow 0');
  assert.ok(elapsed >= 290 && elapsed < 2000, `answered after ${elapsed} ms`);
  assert.ok((s.backend.seen[0]?.at ?? 0) - started >= 290, 'the backend got the request before the delay');
});

test('delay before=false holds the response: the backend gets the request at once', async (t) => {
  const s = await setup(t, '100:delay', { delay: { sleep: 0.3, before: false } });
  const started = performance.now();
  const answer = await get(s, '/slow');
  const elapsed = performance.now() - started;
  assert.equal(answer.body.toString(), 'GET /slow 0');
  assert.ok(elapsed >= 290 && elapsed < 2000, `answered after ${elapsed} ms`);
  assert.ok((s.backend.seen[0]?.at ?? Infinity) - started < 250, 'the request itself was held');
});

test('error answers a 501, 502 or 503 page with Connection: close, and the backend never sees the request', async (t) => {
  const s = await setup(t, '100:error');
  const answer = await get(s, '/x');
  assert.ok(ERROR_STATUSES.includes(answer.status), `status ${answer.status}`);
  assert.equal(answer.headers['connection'], 'close');
  assert.equal(answer.headers['content-type'], 'text/html; charset=UTF-8');
  assert.equal(answer.headers['content-length'], String(answer.body.length));
  assert.match(answer.body.toString(), new RegExp(`<h1>${answer.status} [A-Za-z ]+</h1>`));
  const head = await get(s, '/x', { method: 'HEAD' });
  assert.ok(ERROR_STATUSES.includes(head.status));
  assert.equal(head.body.length, 0, 'a HEAD error has a body');
  assert.equal(s.backend.seen.length, 0);
});

test('300 requests under 100:error see all three of 501, 502 and 503', async (t) => {
  const s = await setup(t, '100:error');
  const statuses = new Set<number>();
  for (let i = 0; i < 300; i++) statuses.add((await get(s, `/e/${i}`)).status);
  assert.deepEqual([...statuses].sort(), ERROR_STATUSES);
  assert.equal(s.backend.seen.length, 0);
});

test('error with inject=true still answers a 50x: http has no corrupted replies', async (t) => {
  const s = await setup(t, '100:error', { error: { inject: true } });
  for (let i = 0; i < 5; i++) {
    const answer = await get(s, '/inject');
    assert.ok(ERROR_STATUSES.includes(answer.status), `status ${answer.status}`);
  }
  assert.equal(s.backend.seen.length, 0);
});

test('error with warmup=3 lets three requests through, then errors', async (t) => {
  const s = await setup(t, '100:error', { error: { warmup: 3 } });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await get(s, `/w/${i}`)).status);
  assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
  assert.ok(statuses.slice(3).every((status) => ERROR_STATUSES.includes(status)), JSON.stringify(statuses));
  assert.equal(s.backend.seen.length, 3);
});

test('transient with agitate=2 errors twice, then answers normally', async (t) => {
  const s = await setup(t, '100:transient', { transient: { agitate: 2 } });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await get(s, `/t/${i}`)).status);
  assert.ok(statuses.slice(0, 2).every((status) => ERROR_STATUSES.includes(status)), JSON.stringify(statuses));
  assert.deepEqual(statuses.slice(2), [200, 200, 200]);
});

test('hang: the request is never answered, the client times out, the backend never sees it', async (t) => {
  const s = await setup(t, '100:hang');
  const started = performance.now();
  await assert.rejects(get(s, '/hang', { headersTimeout: 300 }), (error: NodeJS.ErrnoException) => error.code === 'UND_ERR_HEADERS_TIMEOUT');
  assert.ok(performance.now() - started >= 290);
  assert.equal(s.backend.seen.length, 0);
});

test('blackout: the client sees its connection closed, the backend never sees the request', async (t) => {
  const s = await setup(t, '100:blackout');
  await assert.rejects(get(s, '/dark'), (error: NodeJS.ErrnoException) => error.code === 'UND_ERR_SOCKET' || error.code === 'ECONNRESET');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(s.backend.seen.length, 0);
});

test('abort: the backend gets the request, the client gets a closed connection and no response', async (t) => {
  const s = await setup(t, '100:abort');
  await assert.rejects(get(s, '/cut'), (error: NodeJS.ErrnoException) => error.code === 'UND_ERR_SOCKET' || error.code === 'ECONNRESET');
  await eventually(() => s.backend.seen.length === 1);
  assert.equal(s.backend.seen[0]?.url, '/cut');
});

/** Binomial bounds: `errors` out of `n` draws at `p`, within 5 standard deviations. */
function assertBinomial(errors: number, n: number, p: number): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(errors - n * p) <= 5 * sigma, `${errors} errors out of ${n}, expected ${n * p} ± ${Math.round(5 * sigma)}`);
}

test('30:error over keep-alive connections: about 300 errors in 1000 requests, every other answer is its own', async (t) => {
  const s = await setup(t, '30:error');
  const pool = new Pool(s.origin, { connections: 8 });
  t.after(() => pool.destroy());
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (next < 1000) {
      const i = next++;
      const response = await pool.request({ path: `/k/${i}`, method: 'GET' });
      const body = await response.body.text();
      if (response.statusCode === 200) assert.equal(body, `GET /k/${i} 0`);
      else {
        assert.ok(ERROR_STATUSES.includes(response.statusCode), `status ${response.statusCode}`);
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.equal(exchangesOf(s.proxy), 1000, 'a request was sent twice');
  assertBinomial(errors, 1000, 0.3);
  assert.equal(s.proxy.proxy.stats().exchanges['error'], errors);
  assert.equal(s.backend.seen.length, 1000 - errors);
});

test('30:error with pipelining: answers never swap, and errors stay near 30% of exchanges', async (t) => {
  const s = await setup(t, '30:error');
  const client = new Client(s.origin, { pipelining: 10 });
  t.after(() => client.destroy());
  let errors = 0;
  await Promise.all(
    Array.from({ length: 300 }, async (_, i) => {
      // An error reply closes the connection: requests pipelined behind it are sent again.
      for (let attempt = 0; attempt < 50; attempt++) {
        let response;
        try {
          response = await client.request({ path: `/q/${i}`, method: 'GET' });
        } catch {
          continue;
        }
        const body = await response.body.text();
        if (response.statusCode === 200) return assert.equal(body, `GET /q/${i} 0`);
        assert.ok(ERROR_STATUSES.includes(response.statusCode), `status ${response.statusCode}`);
        errors++;
        return;
      }
      assert.fail(`request ${i} never got an answer`);
    }),
  );
  const stats = s.proxy.proxy.stats();
  assertBinomial(stats.exchanges['error'] ?? 0, exchangesOf(s.proxy), 0.3);
  assert.ok(errors > 0 && errors <= (stats.exchanges['error'] ?? 0));
});
