// How Toxiproxy's stream toxics show in a server's fault log: they act on a connection's
// direction, not on an exchange, so each gives one line per connection it was in force on
// (exchange 0), written when it leaves the connection (the close, an update, a removal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultRecord } from '../../lib/faults/fault-record.js';
import { apiJson, session, type Session, startScriptedBackend, startToxiproxyServer, waitFor } from '../helpers/toxiproxy-server.js';

interface Case {
  readonly toxic: Readonly<Record<string, unknown>>;
  readonly send: string;
  readonly stopAt?: number;
  /** What the client sees, then the line's request and outcome. */
  readonly saw: (seen: Session) => boolean;
  readonly request: string;
  readonly outcome: RegExp;
}

const CASES: Readonly<Record<string, Case>> = {
  // Behind the last delayed piece the close may wait a few ms when timers fire late (a busy
  // machine: "delayed 82 ms, close delayed 6 ms" for latency, "delayed 114 ms, close delayed
  // 2 ms" for bandwidth): it is still this toxic's doing.
  latency: { toxic: { type: 'latency', attributes: { latency: 80 } }, send: 'ECHO\nhello', stopAt: 8, saw: (seen) => seen.endMs >= 75, request: 'downstream 8 bytes', outcome: /^delayed ([7-9]\d|1\d\d) ms(, close delayed \d+ ms)?$/ },
  bandwidth: { toxic: { type: 'bandwidth', attributes: { rate: 100 } }, send: 'SEND 20000\n', saw: (seen) => seen.bytes === 20_000 && seen.endMs >= 150, request: 'downstream 20000 bytes', outcome: /^delayed \d+ ms(, close delayed \d+ ms)?$/ },
  timeout: { toxic: { type: 'timeout', stream: 'upstream', attributes: { timeout: 100 } }, send: 'ECHO\nhi', saw: (seen) => seen.bytes === 0 && seen.outcome === 'end' && seen.endMs >= 95, request: 'upstream 7 bytes', outcome: /^dropped 7 bytes, closed$/ },
  reset_peer: { toxic: { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 50 } }, send: 'ECHO\nhi', saw: (seen) => seen.outcome === 'ECONNRESET', request: 'upstream 7 bytes', outcome: /^dropped 7 bytes, reset$/ },
  limit_data: { toxic: { type: 'limit_data', attributes: { bytes: 5 } }, send: 'SEND 20\n', saw: (seen) => seen.bytes === 5, request: 'downstream 20 bytes', outcome: /^dropped 15 bytes, closed$/ },
  slicer: { toxic: { type: 'slicer', attributes: { average_size: 4, delay: 1000 } }, send: 'SEND 20\n', saw: (seen) => seen.bytes === 20 && seen.reads >= 2, request: 'downstream 20 bytes', outcome: /^sliced$/ },
  slow_close: { toxic: { type: 'slow_close', attributes: { delay: 150 } }, send: 'CLOSE\n', saw: (seen) => seen.data.toString() === 'hi' && seen.endMs >= 145, request: 'downstream 2 bytes', outcome: /^close delayed 1\d\d ms$/ },
};

test('each Toxiproxy toxic gives one line per connection it acted on, with the bytes of its stream and what it did to them', async (t) => {
  const backend = await startScriptedBackend(t);
  const records: FaultRecord[] = [];
  const { server } = await startToxiproxyServer(t, { faultLog: (record) => records.push(record) });
  for (const [name, example] of Object.entries(CASES)) {
    const proxy = await apiJson(`${server.url}/proxies`, 'POST', { name, listen: '127.0.0.1:0', upstream: backend.address });
    const toxic = await apiJson(`${server.url}/proxies/${name}/toxics`, 'POST', example.toxic);
    const seen = await session(Number(String(proxy['listen']).split(':')[1]), example.send, example.stopAt === undefined ? {} : { stopAt: example.stopAt });
    assert.ok(example.saw(seen), `${name}: the client saw ${JSON.stringify({ ...seen, data: seen.data.toString().slice(0, 20) })}`);
    await waitFor(() => records.some((record) => record.proxy === name), `the line of ${name}`);
    const lines = records.filter((record) => record.proxy === name);
    assert.equal(lines.length, 1, `${name}: ${JSON.stringify(lines)}`);
    const line = lines[0] as FaultRecord;
    assert.deepEqual([line.connection, line.exchange, line.behavior, line.toxic, line.options], [1, 0, name, toxic['name'], { ...(toxic['attributes'] as object), stream: toxic['stream'] }], name);
    assert.equal(line.request, example.request, name);
    assert.match(line.outcome, example.outcome, name);
    assert.ok(line.durationMs >= 0 && line.durationMs < 5000);
  }
});

test('a noop toxic, or one on the other stream, writes no line', async (t) => {
  const backend = await startScriptedBackend(t);
  const records: FaultRecord[] = [];
  const { server } = await startToxiproxyServer(t, { faultLog: (record) => records.push(record), faultLogAll: false });
  const proxy = await apiJson(`${server.url}/proxies`, 'POST', { name: 'quiet', listen: '127.0.0.1:0', upstream: backend.address });
  await apiJson(`${server.url}/proxies/quiet/toxics`, 'POST', { type: 'noop' });
  await apiJson(`${server.url}/proxies/quiet/toxics`, 'POST', { type: 'latency', stream: 'upstream', attributes: { latency: 10 } });
  await session(Number(String(proxy['listen']).split(':')[1]), 'CLOSE\n');
  await sleep(200);
  assert.deepEqual(
    records.map((record) => [record.behavior, record.request]),
    [['latency', 'upstream 6 bytes']],
    'only the latency on the stream the client wrote to',
  );
});

test('an updated toxic ends its line on an open connection and starts one with the new attributes; removed, it ends the last', async (t) => {
  const backend = await startScriptedBackend(t);
  const records: FaultRecord[] = [];
  const { server } = await startToxiproxyServer(t, { faultLog: (record) => records.push(record) });
  const proxy = await apiJson(`${server.url}/proxies`, 'POST', { name: 'live', listen: '127.0.0.1:0', upstream: backend.address });
  const port = Number(String(proxy['listen']).split(':')[1]);
  await apiJson(`${server.url}/proxies/live/toxics`, 'POST', { name: 'slow', type: 'latency', attributes: { latency: 60 } });
  // An open connection: the client keeps it until told, the backend echoes.
  const open = session(port, 'ECHO\nfirst', { timeoutMs: 1500 });
  await sleep(200);
  assert.equal(records.length, 0, 'nothing written while the toxic acts on the open connection');
  await apiJson(`${server.url}/proxies/live/toxics/slow`, 'POST', { attributes: { latency: 20 } });
  await waitFor(() => records.length === 1, 'the line of the toxic as it was');
  assert.deepEqual([records[0]?.toxic, records[0]?.options['latency'], records[0]?.request], ['slow', 60, 'downstream 8 bytes']);
  assert.match(records[0]?.outcome ?? '', /^delayed ([5-9]\d) ms$/);
  await apiJson(`${server.url}/proxies/live/toxics/slow`, 'DELETE');
  await waitFor(() => records.length === 2, 'the line of the updated toxic, once removed');
  assert.deepEqual([records[1]?.toxic, records[1]?.options['latency'], records[1]?.request, records[1]?.outcome], ['slow', 20, 'downstream 0 bytes', 'passed']);
  assert.equal((await open).data.toString(), 'ok\nfirst');
  await sleep(100);
  assert.equal(records.length, 2, 'the close writes nothing more: the toxic had left');
});
