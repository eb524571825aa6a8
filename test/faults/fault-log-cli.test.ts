// `vaurien --fault-log` from the command line: JSON lines on stdout with `-`; `fault_log` in the
// config file with --workers (one file, whole lines; the primary's /events streams both workers);
// a path that cannot be opened is a start-up error (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultRecord } from '../../lib/faults/fault-record.js';
import { Client } from '../../lib/control/client.js';
import { bannerPort, runVaurien, startVaurien } from '../helpers/cli.js';
import { bannerApiPort } from '../helpers/control-api.js';
import { startEchoServer } from '../helpers/sockets.js';
import { tempFolder } from '../helpers/temp-folder.js';

/** Sends `payload` and resolves once the proxy cut the connection (abort) or echoed it. */
function send(port: number, payload: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    socket.on('data', () => socket.destroy());
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

function records(text: string): FaultRecord[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as FaultRecord);
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('--fault-log - prints one JSON line per faulted exchange on stdout, after the start-up line', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', '100:abort', '--fault-log', '-', '--seed', '3']);
  const port = bannerPort(vaurien.banner);
  for (const payload of ['a', 'bb', 'ccc']) await send(port, payload);
  await waitFor(() => records(vaurien.stdout()).length === 3, 'three lines');
  assert.equal(await vaurien.stop(), 0);
  const lines = vaurien.stdout().trim().split('\n');
  assert.match(lines[0] ?? '', /^vaurien .*: proxying /);
  // Each connection's record is written when it closes: closes of one after another may land in either order.
  const written = records(vaurien.stdout()).sort((a, b) => a.connection - b.connection);
  assert.deepEqual(
    written.map((record) => [record.proxy, record.connection, record.exchange, record.behavior, record.request, record.outcome]),
    [
      [`127.0.0.1:${port}`, 1, 1, 'abort', '1 bytes', 'aborted'],
      [`127.0.0.1:${port}`, 2, 1, 'abort', '2 bytes', 'aborted'],
      [`127.0.0.1:${port}`, 3, 1, 'abort', '3 bytes', 'aborted'],
    ],
  );
  assert.equal(lines.length, 4, 'nothing else on stdout');
});

test('--workers 2 with fault_log in the config file: one file, one whole line per exchange of either worker', async (t) => {
  const echo = await startEchoServer(t);
  const dir = tempFolder(t, 'faultlog');
  const file = join(dir, 'faults.jsonl');
  const config = join(dir, 'vaurien.ini');
  writeFileSync(config, `[vaurien]\nbackend = ${echo.address}\nbehavior = 100:abort\nfault_log = ${file}\n`);
  const vaurien = await startVaurien(t, ['--config', config, '--proxy', '127.0.0.1:0', '--workers', '2']);
  const port = bannerPort(vaurien.banner);
  const count = 60;
  for (let at = 0; at < count; at += 6) await Promise.all(Array.from({ length: 6 }, (_, index) => send(port, `payload ${at + index}`)));
  assert.equal(await vaurien.stop(), 0);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a newline');
  assert.equal(lines.length, count);
  const written = lines.map((line) => JSON.parse(line) as FaultRecord);
  assert.equal(new Set(written.map((record) => record.connection)).size, count, 'one line per connection');
  assert.ok(written.some((record) => record.connection % 2 === 1) && written.some((record) => record.connection % 2 === 0), 'both workers wrote');
  for (const record of written) assert.deepEqual([record.behavior, record.outcome, record.exchange], ['abort', 'aborted', 1]);
});

test('--workers 2: GET /events on the primary streams the records of both workers', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', '100:abort', '--workers', '2', '--http', '--http-port', '0']);
  const port = bannerPort(vaurien.banner);
  const client = new Client({ host: '127.0.0.1', port: bannerApiPort(vaurien.banner) });
  const stop = new AbortController();
  t.after(() => stop.abort());
  const seen: FaultRecord[] = [];
  const reading = (async () => {
    for await (const record of client.events({ signal: stop.signal })) seen.push(record);
  })();
  // The workers forward records once the primary tells them someone listens: send until they come.
  for (let at = 0; new Set(seen.map((record) => record.connection % 2)).size < 2; at++) {
    if (at > 200) throw new Error(`records from both workers did not come (${seen.length} so far)`);
    await Promise.all(Array.from({ length: 4 }, () => send(port, 'payload')));
  }
  stop.abort();
  await reading;
  for (const record of seen) assert.equal(record.outcome, 'aborted');
  assert.equal(await vaurien.stop(), 0);
});

test('a --fault-log that cannot be opened is a start-up error: one line, exit 2', async () => {
  const result = await runVaurien(['--proxy', '127.0.0.1:0', '--backend', '127.0.0.1:1', '--fault-log', '/nonexistent/folder/faults.jsonl']);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'vaurien: --fault-log /nonexistent/folder/faults.jsonl: cannot open it for writing (ENOENT)\n');
});
