// `GET /events` on a `vaurien server` (SPEC 13): the fault log of every proxy as Server-Sent
// Events, live, behind the server's token; `vaurienctl events` against the server's port prints
// them; nobody subscribed, the proxies watch nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { subscribeFaultRecords as subscribe } from '../helpers/fault-events.js';
import { apiJson, session, startScriptedBackend, startServerCommand, startToxiproxyServer, waitFor } from '../helpers/toxiproxy-server.js';


test('GET /events streams the fault line of each toxic’s hit on every proxy as it happens; nobody subscribed, nothing is watched', async (t) => {
  const backend = await startScriptedBackend(t);
  const { server } = await startToxiproxyServer(t);
  const cut = await apiJson(`${server.url}/proxies`, 'POST', { name: 'cut', listen: '127.0.0.1:0', upstream: backend.address });
  const slow = await apiJson(`${server.url}/proxies`, 'POST', { name: 'slow', listen: '127.0.0.1:0', upstream: backend.address });
  await apiJson(`${server.url}/proxies/cut/toxics`, 'POST', { type: 'abort' });
  await apiJson(`${server.url}/proxies/slow/toxics`, 'POST', { type: 'latency', attributes: { latency: 30 } });
  const port = (proxy: Record<string, unknown>): number => Number(String(proxy['listen']).split(':')[1]);

  assert.equal(server.faults.listening, false, 'no listener before anyone subscribes');
  const subscriber = await subscribe(t, `${server.url}/events`);
  assert.equal(subscriber.status, 200);
  await waitFor(() => server.faults.listening, 'the feed to be listened to');
  const aborted = await session(port(cut), 'ECHO\nx', { timeoutMs: 2000 });
  const delayed = await session(port(slow), 'ECHO\nhello', { stopAt: 8 });
  assert.notEqual(aborted.outcome, 'enough', 'the abort toxic cut the connection');
  assert.ok(delayed.endMs >= 28);
  await waitFor(() => subscriber.records.length === 2, 'two events');
  assert.deepEqual(
    subscriber.records.map((record) => [record.proxy, record.behavior, record.toxic, record.outcome.replace(/\d+ ms/, 'N ms')]),
    [
      ['cut', 'abort', 'abort_downstream', 'aborted'],
      ['slow', 'latency', 'latency_downstream', 'delayed N ms'],
    ],
  );
  subscriber.leave();
  await waitFor(() => !server.faults.listening, 'the feed to be left alone once the subscriber left');
});

test('GET /events needs the server’s token, like every other request', async (t) => {
  const { server } = await startToxiproxyServer(t, { token: 's3cret' });
  assert.equal((await subscribe(t, `${server.url}/events`)).status, 401);
  assert.equal((await subscribe(t, `${server.url}/events`, { authorization: 'Bearer s3cret' })).status, 200);
});

test('vaurienctl events --port PORT prints the server’s fault lines, one JSON line each', async (t) => {
  const backend = await startScriptedBackend(t);
  const running = await startServerCommand(t, ['-host', '127.0.0.1', '-port', '0', '--token', 's3cret']);
  const auth = { Authorization: 'Bearer s3cret' };
  const proxy = await apiJson(`${running.url}/proxies`, 'POST', { name: 'cut', listen: '127.0.0.1:0', upstream: backend.address }, auth);
  await apiJson(`${running.url}/proxies/cut/toxics`, 'POST', { type: 'abort', name: 'snip' }, auth);
  const port = Number(String(proxy['listen']).split(':')[1]);
  const ctl = spawn(
    process.execPath,
    [...VAURIEN_NODE_FLAGS, fileURLToPath(new URL('../../dist/bin/vaurienctl.js', import.meta.url)), '--host', '127.0.0.1', '--port', new URL(running.url).port, '--token', 's3cret', 'events'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => ctl.kill('SIGKILL'));
  let out = '';
  ctl.stdout.on('data', (data: Buffer) => (out += data.toString()));
  // It is subscribed once a record reaches it; until then, keep sending.
  for (let i = 0; !out.includes('\n'); i++) {
    if (i > 200) throw new Error('vaurienctl events printed nothing');
    await session(port, 'ECHO\nx', { timeoutMs: 1000 });
    await sleep(25);
  }
  await session(port, 'ECHO\nlast one', { timeoutMs: 1000 });
  await waitFor(() => out.includes('"request":"13 bytes"'), 'the last line');
  for (const line of out.trim().split('\n')) assert.deepEqual(JSON.parse(line), { ...(JSON.parse(line) as object), proxy: 'cut', behavior: 'abort', toxic: 'snip', outcome: 'aborted' });
});

test('vaurienctl events against a server that refuses its token says so in one line, exit status 1', async (t) => {
  const running = await startServerCommand(t, ['-host', '127.0.0.1', '-port', '0', '--token', 's3cret']);
  const ctl = spawn(process.execPath, [...VAURIEN_NODE_FLAGS, fileURLToPath(new URL('../../dist/bin/vaurienctl.js', import.meta.url)), '--host', '127.0.0.1', '--port', new URL(running.url).port, '--token', 'wrong', 'events'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  ctl.stderr.on('data', (data: Buffer) => (err += data.toString()));
  const code = await new Promise<number | null>((resolve) => ctl.on('close', resolve));
  assert.equal(code, 1);
  assert.equal(err, 'vaurienctl: the control API refused the token: missing or wrong bearer token\n');
});
