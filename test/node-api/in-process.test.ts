// Using vaurien inside a test process, without a child: the proxy factory, and a pipeline
// composed by hand with stream-chain from the public pieces.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { chain } from 'stream-chain';
import { Subscription } from 'rxjs';
import {
  behaviorOperators,
  bytesStage,
  createFramerPair,
  createProxy,
  framerStage,
  operatorStage,
  socketControl,
  type Message,
} from '../../lib/index.js';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';

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

/** A hand-made proxy: client → framer → behavior stage → bytes → backend, and back unchanged. */
async function handMadeProxy(
  t: TestContext,
  backendPort: number,
  behavior: string,
  options: Record<string, unknown>,
): Promise<number> {
  const connections = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const backend = connect({ port: backendPort, host: '127.0.0.1', allowHalfOpen: true });
    connections.add(client).add(backend);
    const subscriptions = new Subscription();
    const { request } = createFramerPair('tcp', { buffer: 1024 });
    const stage = operatorStage(
      behaviorOperators(behavior, { direction: 'request', protocol: 'tcp', options, connection: socketControl(client, backend) }),
      subscriptions,
    );
    const toBackend = chain([framerStage(request), stage, bytesStage]);
    client.pipe(toBackend);
    toBackend.pipe(backend);
    backend.pipe(client);
    client.on('close', () => {
      subscriptions.unsubscribe();
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
  const dummyPort = await handMadeProxy(t, echo.port, 'dummy', {});
  const payload = randomBytes(3 * 1024 * 1024);
  const back = await roundTrip(dummyPort, payload);
  assert.ok(back.equals(payload), 'bytes out = bytes in');

  const delayPort = await handMadeProxy(t, echo.port, 'delay', { sleep: 0.2 });
  const started = performance.now();
  assert.equal((await roundTrip(delayPort, Buffer.from('held'))).toString(), 'held');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 2000, `elapsed ${elapsed} ms`);
});

test('createFramerPair numbers exchanges and pairs an ordered protocol’s responses with its requests', async () => {
  const { loadProtocolPlugin } = await import('../../lib/index.js');
  const { fileURLToPath } = await import('node:url');
  await loadProtocolPlugin('./examples/line-protocol.js', fileURLToPath(new URL('../../', import.meta.url)));
  const { request, response } = createFramerPair('line');
  const requests = [...request.push(Buffer.from('GET a\nGET')), ...request.push(Buffer.from(' b\n'))];
  assert.deepEqual(requests.map((item: Message) => [item.exchange, item.bytes.toString()]), [[1, 'GET a\n'], [2, 'GET b\n']]);
  const responses = [...response.push(Buffer.from('one\ntwo\nthree\n'))];
  assert.deepEqual(responses.map((item: Message) => item.exchange), [1, 2, 0], 'the unasked third line is outside any exchange');
});
