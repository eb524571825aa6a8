// toxiproxy-node-client, unchanged, driving an in-process `vaurien server`: proxies and toxics
// created, read, updated and deleted, populate, reset, enable/disable and error answers, with
// real traffic through the proxies to show each change took effect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToxiproxyError, type ICreateToxicBody, type Latency } from 'toxiproxy-node-client';
import { session, startScriptedBackend, startToxiproxyServer } from '../helpers/toxiproxy-server.js';
import { freePort } from '../helpers/sockets.js';

const latency = (ms: number, extra: Partial<ICreateToxicBody<Latency>> = {}): ICreateToxicBody<Latency> => ({ name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: ms, jitter: 0 }, ...extra });

test('the client creates a proxy, reads it back with its resolved listen address, and traffic flows through it', async (t) => {
  const { client } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  assert.equal(await client.getVersion(), '{"version": "2.12.0"}\n');
  const proxy = await client.createProxy({ name: 'echo', listen: 'localhost:0', upstream: backend.address });
  assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/, 'localhost:0 comes back as 127.0.0.1 and a real port');
  assert.equal(proxy.enabled, true);
  const port = Number(proxy.listen.split(':')[1]);
  const echoed = await session(port, 'ECHO\nhello', { stopAt: 8 });
  assert.equal(echoed.data.toString(), 'ok\nhello');
  const again = await client.get('echo');
  assert.deepEqual(again.toJson(), proxy.toJson());
  assert.deepEqual(Object.keys(await client.getAll()), ['echo']);
});

test('a latency toxic added, read, updated and removed through the client changes what the traffic sees', async (t) => {
  const { client } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  const proxy = await client.createProxy({ name: 'slow', listen: '127.0.0.1:0', upstream: backend.address });
  const port = Number(proxy.listen.split(':')[1]);
  const toxic = await proxy.addToxic(latency(150));
  assert.deepEqual(toxic.toJson(), { attributes: { latency: 150, jitter: 0 }, name: 'latency_downstream', stream: 'downstream', toxicity: 1, type: 'latency' });
  assert.ok((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs >= 145, 'the answer waited the latency');
  const updated = await toxic.update(latency(20, { attributes: { latency: 20, jitter: 0 } }));
  assert.equal(updated.attributes.latency, 20);
  const quicker = await session(port, 'ECHO\nx', { stopAt: 4 });
  assert.ok(quicker.endMs >= 18 && quicker.endMs < 140, `${quicker.endMs.toFixed(0)} ms after the update to 20 ms`);
  assert.deepEqual((await proxy.getToxic('latency_downstream')).attributes, { latency: 20, jitter: 0 });
  await toxic.remove();
  await assert.rejects(proxy.getToxic('latency_downstream'), (error: ToxiproxyError) => error.message.endsWith('404'));
  assert.ok((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs < 100, 'no latency once removed');
});

test('disabling a proxy closes its connections and stops listening; enabling it listens again on the same address', async (t) => {
  const { client } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  const proxy = await client.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: backend.address });
  const port = Number(proxy.listen.split(':')[1]);
  const open = session(port, 'ECHO\n', { timeoutMs: 3000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
  assert.equal(disabled.enabled, false);
  const cut = await open;
  assert.notEqual(cut.outcome, 'waited', 'the open connection was closed');
  const refused = await session(port, 'ECHO\n', { timeoutMs: 1000 });
  assert.equal(refused.outcome, 'ECONNREFUSED');
  const enabled = await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
  assert.equal(enabled.listen, proxy.listen);
  assert.equal((await session(port, 'ECHO\nz', { stopAt: 4 })).data.toString(), 'ok\nz');
});

test('populate creates what is missing, keeps what matches (toxics included), replaces what differs', async (t) => {
  const { client } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  const [portA, portB] = [await freePort(), await freePort()];
  const first = await client.populate([
    { name: 'a', listen: `127.0.0.1:${portA}`, upstream: backend.address },
    { name: 'b', listen: `127.0.0.1:${portB}`, upstream: backend.address },
  ]);
  assert.deepEqual(Object.keys(first).sort(), ['a', 'b']);
  await first['a']?.addToxic(latency(10));
  const second = await client.populate([
    { name: 'a', listen: `127.0.0.1:${portA}`, upstream: backend.address },
    { name: 'b', listen: `127.0.0.1:${portB}`, upstream: '127.0.0.1:1' },
  ]);
  assert.equal(second['b']?.upstream, '127.0.0.1:1');
  const proxies = await client.getAll();
  assert.deepEqual((await proxies['a']?.getToxic('latency_downstream'))?.attributes, { latency: 10, jitter: 0 }, 'a kept its toxic');
});

test('reset enables every proxy and removes every toxic', async (t) => {
  const { client } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  const proxy = await client.createProxy({ name: 'r', listen: '127.0.0.1:0', upstream: backend.address });
  await proxy.addToxic(latency(500));
  await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
  await client.reset();
  const after = await client.get('r');
  assert.equal(after.enabled, true);
  await assert.rejects(after.getToxic('latency_downstream'), (error: ToxiproxyError) => error.message.endsWith('404'));
  const port = Number(after.listen.split(':')[1]);
  assert.ok((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs < 400);
});

test('errors come back as Toxiproxy answers them: 409 on a taken name, 404 for unknown proxies and toxics', async (t) => {
  const { client, server } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  const proxy = await client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: backend.address });
  await assert.rejects(client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: backend.address }), /status code 409/);
  await assert.rejects(client.get('nope'), /status code 404/);
  await proxy.addToxic(latency(1));
  await assert.rejects(proxy.addToxic(latency(1)), /status code 409/);
  const raw = await fetch(`${server.url}/proxies/nope/toxics/x`, { method: 'DELETE' });
  assert.equal(raw.status, 404);
  assert.equal(raw.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await raw.text(), '{"error":"proxy not found","status":404}\n');
  await proxy.remove();
  assert.deepEqual(await client.getAll(), {});
});

test('a browser (User-Agent Mozilla/…) is refused with 403, as Toxiproxy refuses it', async (t) => {
  const { server } = await startToxiproxyServer(t);
  const answer = await fetch(`${server.url}/proxies`, { headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' } });
  assert.equal(answer.status, 403);
  assert.equal(await answer.text(), 'User agent not allowed\n');
});
