import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Client, ControlApiError, ProxyStartError, startProxy, stopProxy } from '../../lib/index.js';
import { createServer, type AddressInfo } from 'node:net';
import { isAlive } from '../helpers/process-stats.js';
import { freePort, roundTrip, startEchoServer } from '../helpers/sockets.js';

test('startProxy runs vaurien in a child; withBehavior drives it; stopProxy leaves no process behind', async (t) => {
  const echo = await startEchoServer(t);
  const proxyPort = await freePort();
  const httpPort = await freePort();
  const pid = await startProxy({ proxyHost: '127.0.0.1', proxyPort, backendHost: '127.0.0.1', backendPort: echo.port, httpHost: '127.0.0.1', httpPort, seed: 7 });
  t.after(() => stopProxy(pid));
  assert.ok(isAlive(pid));

  // Both ports accept connections as soon as startProxy resolves.
  assert.equal((await roundTrip(proxyPort, Buffer.from('through the child'))).toString(), 'through the child');
  const client = new Client({ host: '127.0.0.1', port: httpPort });
  assert.equal(await client.getBehavior(), 'dummy');
  assert.equal(await client.getBackend(), `127.0.0.1:${echo.port}`);

  const elapsed = await client.withBehavior('delay', { sleep: 0.2 }, async () => {
    const started = performance.now();
    assert.equal((await roundTrip(proxyPort, Buffer.from('late'))).toString(), 'late');
    return performance.now() - started;
  });
  assert.ok(elapsed >= 190 && elapsed < 3000, `delayed exchange took ${elapsed} ms`);
  assert.equal(await client.getBehavior(), 'dummy');

  await stopProxy(pid);
  assert.equal(isAlive(pid), false, 'the proxy process is gone');
  await stopProxy(pid); // stopping twice is harmless
});

test('startProxy passes behavior, options, protocol options, seed and token to the CLI', async (t) => {
  const echo = await startEchoServer(t);
  const proxyPort = await freePort();
  const httpPort = await freePort();
  const pid = await startProxy({
    proxyHost: '127.0.0.1',
    proxyPort,
    backendHost: '127.0.0.1',
    backendPort: echo.port,
    httpHost: '127.0.0.1',
    httpPort,
    behavior: '30:delay,10:error',
    options: { delay: { sleep: 0.4, before: false }, error: { warmup: 3 } },
    protocolOptions: { buffer: 4096 },
    token: 'let-me-in',
  });
  t.after(() => stopProxy(pid));
  await assert.rejects(new Client({ host: '127.0.0.1', port: httpPort, token: '' }).getBehavior(), (error: unknown) => {
    return error instanceof ControlApiError && error.status === 401;
  });
  const client = new Client({ host: '127.0.0.1', port: httpPort, token: 'let-me-in' });
  assert.deepEqual(await client.getBehaviorState(), {
    behavior: '30:delay,10:error',
    options: { delay: { sleep: 0.4, before: false }, error: { inject: false, warmup: 3 } },
  });
  await stopProxy(pid);
  assert.equal(isAlive(pid), false);
});

test('startProxy rejects with the child’s stderr when vaurien refuses to start, and leaves nothing running', async () => {
  const error = await startProxy({ proxyPort: await freePort(), httpPort: await freePort(), behavior: '20:nope' }).catch((caught: unknown) => caught);
  assert.ok(error instanceof ProxyStartError, String(error));
  assert.match(error.message, /unknown behavior "nope"/);
  assert.equal(error.exitCode, 2);
});

test('startProxy rejects when the proxy port is taken by someone else, instead of talking to them', async (t) => {
  const squatter = createServer((socket) => socket.end()).listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  t.after(() => new Promise((resolve) => squatter.close(resolve)));
  const { port } = squatter.address() as AddressInfo;
  const error = await startProxy({ proxyHost: '127.0.0.1', proxyPort: port, httpHost: '127.0.0.1', httpPort: await freePort() }).catch(
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ProxyStartError, String(error));
  assert.match(error.message, /address already in use/);
});

test('startProxy refuses port 0 (it could not tell which port the child got)', async () => {
  await assert.rejects(startProxy({ proxyPort: 0 }), /proxyPort must be a port in 1-65535/);
});

test('stopProxy also ends and waits for a process it did not start', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const pid = child.pid as number;
  assert.ok(isAlive(pid));
  await stopProxy(pid);
  assert.equal(isAlive(pid), false);
});
