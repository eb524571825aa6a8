// `vaurien demo` (what `npm start` runs) as a user runs it: it honours the flags its help and the
// README name (--backend, --proxy, --protocol http|tcp), refuses the ones it cannot with one line
// and exit 2, shows clean help, and closes with hints that are right for the run just made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runVaurien } from '../helpers/cli.js';
import { startHttpServer } from '../helpers/http-server.js';
import { freePort } from '../helpers/sockets.js';

/** The environment `npm start` gives this repository's start script. */
const NPM_START = { npm_lifecycle_event: 'start', npm_package_name: 'vaurien' };
/** Outside `npm start` (this suite runs under `npm test`, whose variables say so). */
const PLAIN = { npm_lifecycle_event: '', npm_package_name: '' };

function closingLine(stdout: string, prefix: string): string {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(prefix));
  assert.ok(line !== undefined, `no "${prefix}" line in:\n${stdout}`);
  return line;
}

test('demo --backend sends its traffic to your HTTP server, through --proxy, framed by --protocol tcp', async (t) => {
  const backend = await startHttpServer(t, (request, response) => response.end('yours'));
  const port = await freePort();
  const run = await runVaurien(['demo', '--backend', backend.address, '--proxy', `127.0.0.1:${port}`, '--protocol', 'tcp', '--duration', '0.3', '--concurrency', '2']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^vaurien demo: backend http://${backend.address}, proxy http://127\\.0\\.0\\.1:${port} \\(protocol tcp, `));
  assert.ok(backend.seen.length > 0 && backend.seen.every((seen) => seen.url.startsWith('/item/')), 'the demo did not reach the given backend');
});

test('demo --protocol redis is refused in one line naming the flag, exit 2', async () => {
  const run = await runVaurien(['demo', '--protocol', 'redis']);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^vaurien: demo: --protocol redis: the demo sends HTTP requests, so it runs with --protocol http or tcp; [^\n]*\n$/);
});

test('the closing hints replay the run with its seed and suggest a mix whose options belong to it', async () => {
  const run = await runVaurien(['demo', '--behavior', '30:error', '--duration', '0.3', '--concurrency', '2'], { env: PLAIN });
  assert.equal(run.code, 0, run.stderr);
  const seed = /seed (\d+)\)/.exec(run.stdout)?.[1];
  assert.equal(closingLine(run.stdout, 'Same choices again: '), `Same choices again: vaurien demo --behavior 30:error --duration 0.3 --concurrency 2 --seed ${seed}`);
  const other = closingLine(run.stdout, 'Another mix: ');
  assert.match(other, /^Another mix: vaurien demo --duration 0\.3 --concurrency 2 --behavior \S+/);
  const mix = /--behavior (\S+)/.exec(other)?.[1] ?? '';
  assert.notEqual(mix, '30:error');
  for (const [, name] of other.matchAll(/--behavior-([a-z]+)-/g)) assert.ok(mix.includes(`:${name}`), `${other}: --behavior-${name}-... without ${name} in the mix`);
});

test('run by npm start in this repository, the hints say npm start --; the default mix gets no stray delay option', async () => {
  const run = await runVaurien(['demo', '--duration', '0.3', '--concurrency', '2', '--seed', '9'], { env: NPM_START });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(closingLine(run.stdout, 'Same choices again: '), 'Same choices again: npm start -- --duration 0.3 --concurrency 2 --seed 9');
  assert.equal(closingLine(run.stdout, 'Another mix: '), 'Another mix: npm start -- --duration 0.3 --concurrency 2 --behavior 10:hang,10:abort');
});

test('demo --help shows its defaults unquoted and the proxy flags it takes', async () => {
  const { code, stdout } = await runVaurien(['demo', '--help']);
  assert.equal(code, 0);
  assert.match(stdout, /--duration <seconds> +How long to send traffic \(default: 10\)/);
  assert.match(stdout, /--concurrency <n> +Clients sending at once \(default: 8\)/);
  assert.doesNotMatch(stdout, /default: "/);
  for (const flag of ['--backend', '--proxy', '--protocol', '--behavior', '--seed']) assert.ok(stdout.includes(flag), flag);
});
