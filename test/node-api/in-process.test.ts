// Using vaurien inside a test process, without a child: the proxy factory, and a pipeline
// composed by hand with stream-chain from the public pieces.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { chain } from 'stream-chain';
import { createPipelines, createProxy, type CreatePipelinesOptions } from '../../lib/index.js';
import { roundTrip, startEchoServer, startTcpServer } from '../helpers/sockets.js';

test('createProxy listens on port 0, reports its address, changes behavior live, counts, and closes', async (t) => {
  const echo = await startEchoServer(t);
  const proxy = createProxy({ backend: echo.address, seed: 3 });
  const address = await proxy.listen(0, '127.0.0.1');
  t.after(() => proxy.close());
  assert.ok(address.port > 0);
  assert.deepEqual(proxy.address(), address);
  assert.equal(proxy.seed, 3);

  assert.equal((await roundTrip(address.port, Buffer.from('plain'))).toString(), 'plain');
  proxy.setBehavior('delay', { delay: { sleep: 0.15 } });
  const started = performance.now();
  assert.equal((await roundTrip(address.port, Buffer.from('late'))).toString(), 'late');
  assert.ok(performance.now() - started >= 140);
  assert.deepEqual(proxy.stats().exchanges, { dummy: 1, delay: 1 });

  await proxy.close();
  const refused = await new Promise<string>((resolve) => {
    const socket = connect({ port: address.port, host: '127.0.0.1' });
    socket.on('connect', () => resolve('connected'));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED');
});

/** A hand-made proxy: each connection's two pipelines from `createPipelines`, run by stream-chain's chain(). */
async function handMadeProxy(t: TestContext, backendPort: number, settings: Omit<CreatePipelinesOptions, 'client' | 'backend'>): Promise<number> {
  const connections = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const backend = connect({ port: backendPort, host: '127.0.0.1', allowHalfOpen: true });
    connections.add(client).add(backend);
    const { request, response, pipelines } = createPipelines({ ...settings, client, backend });
    client.pipe(chain(request));
    backend.pipe(chain(response));
    client.on('close', () => {
      pipelines.stop();
      backend.destroy();
    });
    client.on('error', () => {});
    backend.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

test('a pipeline composed by hand with stream-chain forwards bytes exactly and applies a behavior', async (t) => {
  const echo = await startEchoServer(t);
  const dummyPort = await handMadeProxy(t, echo.port, { protocol: 'tcp', protocolOptions: { buffer: 1024 } });
  const payload = randomBytes(3 * 1024 * 1024);
  const back = await roundTrip(dummyPort, payload);
  assert.ok(back.equals(payload), 'bytes out = bytes in');

  const delayPort = await handMadeProxy(t, echo.port, { protocol: 'tcp', behavior: '100:delay', options: { delay: { sleep: 0.2 } } });
  const started = performance.now();
  assert.equal((await roundTrip(delayPort, Buffer.from('held'))).toString(), 'held');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 2000, `elapsed ${elapsed} ms`);
});

test('a hand-made pipeline frames both directions: an ordered protocol gets its errors in its answers\' turn', async (t) => {
  const { loadProtocolPlugin } = await import('../../lib/index.js');
  const { fileURLToPath } = await import('node:url');
  await loadProtocolPlugin('./examples/line-protocol.js', fileURLToPath(new URL('../../', import.meta.url)));
  // A line server answering "ok <line>" to each line.
  const backend = await startTcpServer(t, (socket) => {
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) socket.write(`ok ${line}\n`);
    });
  });
  const port = await handMadeProxy(t, backend.port, { protocol: 'line', behavior: '50:error', seed: 7 });
  const answers = await lines(port, 'GET a\nGET b\nGET c\nGET d\nGET e\nGET f\n', 6);
  assert.equal(answers.length, 6);
  answers.forEach((answer, at) => assert.match(answer, new RegExp(`^(ok GET ${'abcdef'[at]}|ERR GET unavailable)$`), `answer ${at + 1} out of turn: ${answer}`));
  assert.ok(answers.some((answer) => answer.startsWith('ERR')) && answers.some((answer) => answer.startsWith('ok')), answers.join(' | '));
});

/** Sends `text` and resolves with the first `count` lines answered. */
function lines(port: number, text: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(text));
    let answer = '';
    socket.on('data', (data: Buffer) => {
      answer += data.toString('latin1');
      const got = answer.split('\n');
      if (got.length > count) {
        socket.destroy();
        resolve(got.slice(0, count));
      }
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error(`only got ${JSON.stringify(answer)}`)));
  });
}
