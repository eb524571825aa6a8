// `npm run soak`: a long-lived `vaurien` (http, control API on) under steady traffic while its
// behavior switches every second through every fault, for SOAK_SECONDS (default 120). Its RSS
// must stay flat (the last quarter no higher than the second one, within a margin), its file
// descriptors must come back to where they started, and it must still answer right at the end.
// Not part of `npm test` (not a *.test.ts file): it is long on purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { startHttpServer } from '../helpers/http-server.js';
import { MiB, openFds, rssBytes, settle, steady } from '../helpers/process-stats.js';

const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 120);
const WORKERS = 32;
/** Most the RSS may rise between the second quarter of the run and the last one. */
const FLAT_MARGIN = 30 * MiB;

/** The behaviors the soak cycles through, one a second: every built-in fault, alone and mixed. */
const ROTATION = [
  'dummy',
  '30:delay',
  '30:error',
  '20:abort',
  '20:blackout',
  '10:hang',
  '30:transient',
  '10:delay,10:error,10:abort,10:blackout,5:hang,5:transient',
  '50:delay',
  '5:hang,20:error',
];

const BODY = randomBytes(64 * 1024);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

test(`chaos switching every second for ${SECONDS} s: flat RSS, no descriptor left, still answering`, { timeout: (SECONDS + 120) * 1000 }, async (t) => {
  const backend = await startHttpServer(t, (incoming, response) => {
    const size = Number(new URL(incoming.url ?? '/', 'http://x').searchParams.get('size') ?? 0);
    incoming.resume();
    response.end(BODY.subarray(0, size));
  });
  const vaurien = await startVaurien(t, [
    '--proxy', '127.0.0.1:0', '--backend', backend.address, '--protocol', 'http',
    '--http', '--http-host', '127.0.0.1', '--http-port', '0',
    '--timeout', '2', '--behavior-delay-sleep', '0.05', '--log-level', 'error',
  ]);
  const pid = vaurien.child.pid as number;
  const port = bannerPort(vaurien.banner);
  const api = /control API on (http:\/\/\S+)/.exec(vaurien.banner)?.[1] as string;
  const fdsBefore = await steady(() => openFds(pid), 500);

  const counts = { ok: 0, wrong: 0, failed: 0, switches: 0 };
  let running = true;
  const agent = new Agent({ connections: WORKERS, headersTimeout: 3000, bodyTimeout: 3000 });
  t.after(() => agent.destroy());
  const workers = Array.from({ length: WORKERS }, async (_, worker) => {
    let n = 0;
    while (running) {
      const size = (worker * 7919 + n++ * 104729) % BODY.length;
      try {
        // Some clients reuse connections, some open one per request.
        const response = await request(`http://127.0.0.1:${port}/?size=${size}`, { dispatcher: agent, reset: worker % 4 === 0 });
        const body = Buffer.from(await response.body.arrayBuffer());
        if (response.statusCode === 200 && body.equals(BODY.subarray(0, size))) counts.ok++;
        else if (response.statusCode >= 500) counts.failed++;
        else counts.wrong++;
      } catch {
        counts.failed++;
      }
    }
  });

  const samples: number[] = [];
  const started = performance.now();
  for (let second = 0; performance.now() - started < SECONDS * 1000; second++) {
    const behavior = ROTATION[second % ROTATION.length] as string;
    const answer = await request(`${api}/behavior`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ behavior }) });
    assert.equal(answer.statusCode, 200, await answer.body.text());
    await answer.body.dump().catch(() => {});
    counts.switches++;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    samples.push(rssBytes(pid));
  }
  await (await request(`${api}/behavior`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'dummy' }) })).body.dump();
  running = false;
  await Promise.all(workers);
  await agent.close();

  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const second = median(samples.slice(quarter, 2 * quarter));
  const last = median(samples.slice(-quarter));
  const fdsAfter = await settle(() => openFds(pid), (fds) => fds <= fdsBefore, 10_000);
  const final = await request(`http://127.0.0.1:${port}/?size=1000`, { reset: true });
  const finalBody = Buffer.from(await final.body.arrayBuffer());
  const mb = (bytes: number): string => (bytes / MiB).toFixed(1);
  t.diagnostic(`${counts.switches} behavior switches; requests: ${counts.ok} answered right, ${counts.failed} failed by a fault, ${counts.wrong} wrong`);
  t.diagnostic(`RSS MB: first ${mb(samples[0] ?? 0)}, 2nd-quarter median ${mb(second)}, last-quarter median ${mb(last)}, max ${mb(Math.max(...samples))}`);
  t.diagnostic(`fds: ${fdsBefore} before, ${fdsAfter} after`);
  assert.equal(counts.wrong, 0, 'a client got an answer that was not its own (or a non-5xx error)');
  assert.ok(counts.ok > SECONDS * 10, `only ${counts.ok} requests were answered right`);
  assert.ok(last - second < FLAT_MARGIN, `RSS rose by ${mb(last - second)} MB between the second and the last quarter`);
  assert.equal(fdsAfter, fdsBefore, 'file descriptors were left open');
  assert.equal(final.statusCode, 200);
  assert.ok(finalBody.equals(BODY.subarray(0, 1000)));
  assert.equal(await vaurien.stop(), 0);
});
