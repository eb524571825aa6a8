// The fault log of a `vaurien server` (SPEC 11, 13): one JSON line per faulted exchange of every
// proxy, named by its Toxiproxy name and toxic, matching what real clients saw; in process
// (`createServer({ faultLog })`) and from the command (`--fault-log`), replayable with `--seed`.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { FaultRecord } from '../../lib/faults/fault-record.js';
import { runVaurien } from '../helpers/cli.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { freePort } from '../helpers/sockets.js';
import { tempFolder } from '../helpers/temp-folder.js';
import { apiJson, session, startScriptedBackend, startServerCommand, startToxiproxyServer, waitFor } from '../helpers/toxiproxy-server.js';

const redisServer = redisServerForFile();

const portOf = (proxy: Record<string, unknown>): number => Number(String(proxy['listen']).split(':').at(-1));

/** `count` INCRs from ioredis on one connection: for each, `ok` or the error the client got. */
async function incrs(t: TestContext, port: number, count: number): Promise<string[]> {
  // RESP2, no ready check, no CLIENT SETINFO: its HELLO, INFO and SETINFO would be commands given the toxic too.
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, disableClientInfo: true, protocol: 2 });
  t.after(() => client.disconnect());
  await client.connect();
  const seen: string[] = [];
  for (let n = 0; n < count; n++) {
    try {
      await client.incr('visits');
      seen.push('ok');
    } catch (error) {
      seen.push(`${(error as Error).name}: ${(error as Error).message}`);
    }
  }
  client.disconnect();
  return seen;
}

test('each command a redis proxy’s error toxic failed is one line naming the proxy, the toxic and the command, as the client saw it', async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  await redis.direct.del('visits');
  const records: FaultRecord[] = [];
  const { server } = await startToxiproxyServer(t, { seed: 4, faultLog: (record) => records.push(record) });
  const proxy = await apiJson(`${server.url}/proxies`, 'POST', { name: 'cache', listen: '127.0.0.1:0', upstream: redis.address, protocol: 'redis' });
  await apiJson(`${server.url}/proxies/cache/toxics`, 'POST', { name: 'flaky', type: 'error', toxicity: 0.4 });
  const seen = await incrs(t, portOf(proxy), 20);

  const failed = seen.flatMap((outcome, at) => (outcome === 'ok' ? [] : [at + 1]));
  assert.ok(failed.length >= 3 && failed.length <= 14, `${failed.length} of 20 failed`);
  for (const outcome of seen) assert.ok(outcome === 'ok' || /^ReplyError: ERR vaurien injected error/.test(outcome), outcome);
  await waitFor(() => records.length === failed.length, `${failed.length} lines (got ${records.length})`);
  assert.deepEqual(
    records.map((record) => [record.proxy, record.connection, record.exchange, record.behavior, record.toxic, record.request, record.outcome]),
    failed.map((exchange) => ['cache', 1, exchange, 'error', 'flaky', 'INCR', 'error reply']),
  );
  assert.deepEqual(records[0]?.options, { inject: false, warmup: 0 });
  assert.match(records[0]?.client ?? '', /^127\.0\.0\.1:\d+$/);
  assert.equal(await redis.direct.get('visits'), String(20 - failed.length), 'a failed INCR never reached redis');
});

test('with faultLogAll, a proxy without toxics logs every exchange as dummy, passed', async (t) => {
  const backend = await startScriptedBackend(t);
  const records: FaultRecord[] = [];
  const { server } = await startToxiproxyServer(t, { faultLog: (record) => records.push(record), faultLogAll: true });
  const proxy = await apiJson(`${server.url}/proxies`, 'POST', { name: 'plain', listen: '127.0.0.1:0', upstream: backend.address });
  assert.equal((await session(portOf(proxy), 'CLOSE\n')).data.toString(), 'hi');
  await waitFor(() => records.length === 1, 'one line');
  assert.deepEqual([records[0]?.proxy, records[0]?.exchange, records[0]?.behavior, records[0]?.request, records[0]?.outcome], ['plain', 1, 'dummy', '6 bytes', 'passed']);
});

/** What two runs with the same seed and traffic share: all but times, client ports and measured durations. */
function replayable(record: FaultRecord): unknown {
  const { time: _time, durationMs: _duration, client, outcome, ...rest } = record;
  return { ...rest, client: client.replace(/:\d+$/, ''), outcome: outcome.replace(/delayed \d+ ms/, 'delayed N ms') };
}

const linesOf = (text: string): FaultRecord[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as FaultRecord);

test('vaurien server --seed N --fault-log: two runs with the same traffic write the same lines, stream toxics’ too, but for times and ports', async (t) => {
  const redis = await redisServer(t);
  if (redis === undefined) return;
  const backend = await startScriptedBackend(t);
  const dir = tempFolder(t, 'server-faultlog');
  const [cachePort, echoPort] = [await freePort(), await freePort()];
  const config = join(dir, 'toxiproxy.json');
  writeFileSync(
    config,
    JSON.stringify([
      { name: 'cache', listen: `127.0.0.1:${cachePort}`, upstream: redis.address, protocol: 'redis', toxics: [{ type: 'error', toxicity: 0.3 }] },
      { name: 'echo', listen: `127.0.0.1:${echoPort}`, upstream: backend.address, toxics: [{ name: 'cut', type: 'abort', toxicity: 0.5 }, { name: 'lag', type: 'latency', toxicity: 0.5, attributes: { latency: 20 } }] },
    ]),
  );
  const run = async (faultLog: string[]): Promise<{ lines: FaultRecord[]; seen: string[] }> => {
    const running = await startServerCommand(t, ['-host', '127.0.0.1', '-port', '0', '-config', config, '-seed', '21', ...faultLog]);
    const seen = await incrs(t, cachePort, 15);
    for (let n = 0; n < 6; n++) seen.push((await session(echoPort, `ECHO\nhello ${n}`, { stopAt: 10, timeoutMs: 2000 })).outcome);
    // Lines are written within 20 ms of their exchange's end.
    await sleep(100);
    assert.equal(await running.stop(), 0);
    const text = faultLog[0] === '--fault-log' ? running.stdout() : readFileSync(faultLog[1] as string, 'utf8');
    return { lines: linesOf(text), seen };
  };
  const first = await run(['--fault-log', '-']);
  const file = join(dir, 'faults.jsonl');
  const second = await run(['-fault-log', file]);

  assert.deepEqual(second.seen, first.seen, 'the clients saw the same faults');
  const errored = first.seen.slice(0, 15).filter((outcome) => outcome !== 'ok').length;
  const cut = first.seen.slice(15).filter((outcome) => outcome !== 'enough').length;
  assert.ok(errored > 0 && cut > 0 && cut < 6, `${errored} commands errored, ${cut} of 6 echo connections were cut`);
  assert.equal(first.lines.filter((line) => line.proxy === 'cache').length, errored);
  const echoLines = first.lines.filter((line) => line.proxy === 'echo');
  assert.equal(echoLines.filter((line) => line.behavior === 'abort').length, cut);
  for (const line of echoLines.filter((record) => record.behavior === 'abort')) assert.deepEqual([line.toxic, line.outcome], ['cut', 'aborted']);
  const lagged = echoLines.filter((line) => line.behavior === 'latency');
  assert.ok(lagged.length > 0 && lagged.length < 6, `${lagged.length} of 6 echo connections had the latency`);
  for (const line of lagged) assert.deepEqual([line.toxic, line.exchange], ['lag', 0]);
  assert.deepEqual(second.lines.map(replayable), first.lines.map(replayable));
});

test('a fault log that cannot be opened stops vaurien server at start: one line, exit status 2', async () => {
  const { code, stderr } = await runVaurien(['server', '-port', '0', '--fault-log', '/nonexistent/dir/faults.jsonl']);
  assert.equal(code, 2);
  assert.equal(stderr, 'vaurien: --fault-log /nonexistent/dir/faults.jsonl: cannot open it for writing (ENOENT)\n');
});
