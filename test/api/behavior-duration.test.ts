// Faults for a while (SPEC 14): `duration` is in force, `remaining` counts down, and the previous
// setting returns by itself (seen through the proxy by a real client); a new change replaces the
// timer; `vaurienctl --for`, `Client.setBehavior(…, { duration })`, `withBehavior` inside one.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { Client } from '../../lib/control/client.js';
import { startHttpServer } from '../helpers/http-server.js';
import { startApi, type ApiHarness } from './harness.js';

async function setup(t: TestContext): Promise<{ api: ApiHarness; client: Client; get: () => Promise<number> }> {
  const backend = await startHttpServer(t, (_request, response) => response.end('ok'));
  const api = await startApi(t, { backend: backend.address, protocol: 'http' });
  const client = new Client({ host: '127.0.0.1', port: api.api.address.port });
  // A real client through the proxy: the status it gets (a new connection each time: `error` closes).
  const get = async (): Promise<number> => {
    const answer = await request(`http://127.0.0.1:${api.port}/`, { reset: true });
    await answer.body.text();
    return answer.statusCode;
  };
  return { api, client, get };
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

test('a behavior set with "duration": 1.5 is in force, counts down, then the previous one returns by itself', async (t) => {
  const { api, get } = await setup(t);
  assert.equal((await api.call('PUT', '/behavior', { name: 'delay', sleep: 0.01 })).status, 200);
  const set = performance.now();
  assert.equal((await api.call('PUT', '/behavior', { name: 'error', duration: 1.5 })).status, 200);
  assert.ok((await get()) >= 500, 'the timed error is in force');
  const first = (await api.call('GET', '/behavior')).json;
  assert.equal(first.behavior, 'error');
  assert.deepEqual(first.restores, { behavior: 'delay', options: { delay: { sleep: 0.01, before: true } } });
  assert.ok(first.remaining > 0 && first.remaining <= 1.5, `remaining ${first.remaining}`);
  await sleep(400);
  const later = (await api.call('GET', '/behavior')).json;
  assert.ok(later.remaining < first.remaining, `remaining ${first.remaining} then ${later.remaining}`);
  if (later.remaining > 0.3) assert.ok((await get()) >= 500, 'still in force before the time is up');

  await waitUntil(async () => (await get()) === 200, 3000);
  const back = performance.now() - set;
  assert.ok(back >= 1450 && back < 3000, `the previous setting came back after ${back.toFixed(0)} ms`);
  assert.deepEqual((await api.call('GET', '/behavior')).json, { behavior: 'delay', options: { delay: { sleep: 0.01, before: true } } });
});

test('a new change during a duration replaces its timer: timed, it restores the base; untimed, nothing', async (t) => {
  const { api, client } = await setup(t);
  await client.setBehavior('blackout', {}, { duration: 0.5 });
  await client.setBehavior('20:error', {}, { duration: 0.4 });
  const state = await client.getBehaviorState();
  assert.equal(state.behavior, '20:error');
  assert.deepEqual(state.restores, { behavior: 'dummy', options: {} }, 'timed settings do not stack: the base comes back');
  await sleep(300);
  await client.setBehavior('abort');
  assert.deepEqual((await api.call('GET', '/behavior')).json, { behavior: 'abort', options: { abort: {} } }, 'an untimed change ends the timer');
  await sleep(500);
  assert.equal(await client.getBehavior(), 'abort', 'nothing was restored over it');
});

test('withBehavior inside a timed setting puts it back with the time it had left', async (t) => {
  const { client } = await setup(t);
  await client.setBehavior('blackout', {}, { duration: 2 });
  await client.withBehavior('abort', async () => {
    assert.equal(await client.getBehavior(), 'abort');
    await sleep(300);
  });
  const state = await client.getBehaviorState();
  assert.equal(state.behavior, 'blackout');
  assert.ok(state.remaining !== undefined && state.remaining <= 1.7 && state.remaining > 1, `remaining ${state.remaining}`);
  assert.deepEqual(state.restores, { behavior: 'dummy', options: {} });
});

test('a duration that is not a positive number of seconds is a 400 naming it', async (t) => {
  const { api } = await setup(t);
  for (const duration of [0, -1, 'ten', null]) {
    const answer = await api.call('PUT', '/behavior', { behavior: 'error', duration });
    assert.equal(answer.status, 400, JSON.stringify(duration));
    assert.equal(answer.json.errors[0].name, 'duration');
  }
  assert.equal((await api.call('GET', '/behavior')).json.behavior, 'dummy');
});

test('vaurienctl set-behavior NAME --for SECONDS; get-behavior shows the time left', async (t) => {
  const { api, get } = await setup(t);
  const at = ['--host', '127.0.0.1', '--port', String(api.api.address.port)];
  const set = await vaurienctl([...at, 'set-behavior', 'error', '--for', '1']);
  assert.deepEqual([set.code, set.stdout, set.stderr], [0, 'Behavior changed to "error" for 1 s\n', '']);
  assert.ok((await get()) >= 500);
  const shown = await vaurienctl([...at, 'get-behavior']);
  assert.match(shown.stdout, /^error --inject false --warmup 0 --for (0\.\d|1)\n$/);
  await waitUntil(async () => (await get()) === 200, 3000);
  assert.equal((await vaurienctl([...at, 'get-behavior'])).stdout, 'dummy\n');
  const wrong = await vaurienctl([...at, 'set-behavior', 'error', '--for', 'soon']);
  assert.deepEqual([wrong.code, wrong.stderr], [2, 'vaurienctl: set-behavior: --for expects seconds (more than 0), got "soon"\n']);
});

function vaurienctl(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = fileURLToPath(new URL('../../dist/bin/vaurienctl.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, VAURIEN_HTTP_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
