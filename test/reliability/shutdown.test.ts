// SIGTERM/SIGINT: vaurien stops accepting at once (proxy and control API), lets an exchange in
// flight finish within --grace (a delayed HTTP request still gets its 200), closes what is left
// when the grace period ends (a hang does not hold it), and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Agent, request } from 'undici';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { startHttpServer } from '../helpers/http-server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with how a fresh TCP connection to `port` goes: accepted, or the error code. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: a delayed HTTP request in flight still gets its 200 within --grace, new connections are refused, exit 0`, { timeout: 30_000 }, async (t) => {
    const backend = await startHttpServer(t, (_request, response) => response.end('finished'));
    const vaurien = await startVaurien(t, [
      '--proxy', '127.0.0.1:0', '--backend', backend.address, '--protocol', 'http',
      '--behavior', '100:delay', '--behavior-delay-sleep', '1', '--grace', '5',
      '--http', '--http-host', '127.0.0.1', '--http-port', '0',
    ]);
    const port = bannerPort(vaurien.banner);
    const apiPort = Number(/control API on http:\/\/[^:]+:(\d+)/.exec(vaurien.banner)?.[1]);
    const agent = new Agent();
    t.after(() => agent.destroy());

    const started = performance.now();
    const inFlight = request(`http://127.0.0.1:${port}/slow`, { dispatcher: agent });
    await sleep(300);
    assert.equal(backend.seen.length, 0, 'the delay did not hold the request');
    const exited = vaurien.stop(signal);
    await sleep(200);
    assert.equal(await tryConnect(port), 'ECONNREFUSED', 'the proxy still accepts connections after the signal');
    assert.equal(await tryConnect(apiPort), 'ECONNREFUSED', 'the control API still accepts connections after the signal');

    const response = await inFlight;
    assert.equal(response.statusCode, 200);
    assert.equal(await response.body.text(), 'finished');
    const answeredAfter = performance.now() - started;
    assert.ok(answeredAfter >= 950, `answered after ${answeredAfter} ms, before the delay was over`);
    assert.equal(await exited, 0);
    const exitedAfter = performance.now() - started;
    // Done as soon as the exchange is: the rest of the 5 s grace period is not waited for.
    assert.ok(exitedAfter < 3500, `exited ${exitedAfter} ms after the request, not when its exchange was done`);
    assert.equal(backend.seen.length, 1);
  });
}

test('SIGTERM: an exchange still open when --grace ends (its backend never answers) is closed, and vaurien exits 0', { timeout: 30_000 }, async (t) => {
  // One backend answer never comes: the exchange cannot finish by itself.
  const backend = await startHttpServer(t, (incoming, response) => {
    if (incoming.url !== '/never') response.end('ok');
  });
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', backend.address, '--protocol', 'http', '--grace', '1']);
  const port = bannerPort(vaurien.banner);
  const agent = new Agent();
  t.after(() => agent.destroy());
  assert.equal(await (await request(`http://127.0.0.1:${port}/`, { dispatcher: agent })).body.text(), 'ok');
  const stuck = request(`http://127.0.0.1:${port}/never`, { dispatcher: new Agent() }).then(
    (response) => `status ${response.statusCode}`,
    (error: Error) => error.message,
  );
  await sleep(200);
  const started = performance.now();
  assert.equal(await vaurien.stop('SIGTERM'), 0);
  const took = performance.now() - started;
  assert.ok(took >= 900 && took < 4000, `exit took ${took} ms, not about the 1 s grace period`);
  assert.match(await stuck, /other side closed|socket|terminated/i);
  assert.match(vaurien.stderr(), /SIGTERM: no new connections; open exchanges have 1s to finish/);
});
