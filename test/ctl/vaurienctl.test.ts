// `vaurienctl` as a user runs it (the built dist/bin/vaurienctl.js, a real child process)
// against a proxy's control API: every command, its exact output, and its failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { startEchoServer } from '../helpers/sockets.js';
import { startApi, type ApiHarness } from '../api/harness.js';

const VAURIENCTL = fileURLToPath(new URL('../../dist/bin/vaurienctl.js', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function vaurienctl(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  if (!existsSync(VAURIENCTL)) throw new Error(`${VAURIENCTL} is missing: run \`npm run build\` first (npm test does)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VAURIENCTL, ...args], {
      env: { ...process.env, VAURIEN_HTTP_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vaurienctl ${args.join(' ')} did not exit; stderr: ${stderr}`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function harness(t: TestContext, token?: string): Promise<{ api: ApiHarness; at: string[] }> {
  const echo = await startEchoServer(t);
  const api = await startApi(t, { backend: echo.address }, token !== undefined ? { token } : {});
  return { api, at: ['--host', '127.0.0.1', '--port', String(api.api.address.port)] };
}

test('list-behaviors, set-behavior and get-behavior print what the original printed', async (t) => {
  const { api, at } = await harness(t);
  const list = await vaurienctl([...at, 'list-behaviors']);
  assert.deepEqual(list, { code: 0, stdout: 'abort, bandwidth, blackout, delay, dummy, error, hang, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout, transient\n', stderr: '' });

  assert.deepEqual(await vaurienctl([...at, 'set-behavior', 'blackout']), { code: 0, stdout: 'Behavior changed to "blackout"\n', stderr: '' });
  assert.deepEqual(await vaurienctl([...at, 'get-behavior']), { code: 0, stdout: 'blackout\n', stderr: '' });
  assert.equal(api.proxy.getBehavior().behavior, 'blackout');
});

test('set-behavior takes options as --OPTION VALUE, and a weighted set with --NAME-OPTION', async (t) => {
  const { api, at } = await harness(t);
  const single = await vaurienctl([...at, 'set-behavior', 'delay', '--sleep', '2', '--before=false']);
  assert.equal(single.stdout, 'Behavior changed to "delay"\n');
  assert.deepEqual(api.proxy.getBehavior(), { behavior: 'delay', options: { delay: { sleep: 2, before: false } } });

  const flag = await vaurienctl([...at, 'set-behavior', 'error', '--inject']);
  assert.equal(flag.code, 0);
  assert.deepEqual(api.proxy.getBehavior().options, { error: { inject: true, warmup: 0 } });

  const set = await vaurienctl([...at, 'set-behavior', '20:delay,10:error', '--delay-sleep', '0.5', '--error-warmup', '3']);
  assert.deepEqual(set, { code: 0, stdout: 'Behavior changed to "20:delay,10:error"\n', stderr: '' });
  assert.deepEqual(api.proxy.getBehavior(), {
    behavior: '20:delay,10:error',
    options: { delay: { sleep: 0.5, before: true }, error: { inject: false, warmup: 3 } },
  });
  // global options may also come after the command
  assert.equal((await vaurienctl(['get-behavior', ...at])).stdout, '20:delay,10:error --delay-sleep 0.5 --delay-before true --error-inject false --error-warmup 3\n');
});

test('get-behavior prints the options in force as set-behavior takes them, so the line can be pasted back', async (t) => {
  const { api, at } = await harness(t);
  await vaurienctl([...at, 'set-behavior', 'delay', '--sleep', '2', '--before=false']);
  const single = await vaurienctl([...at, 'get-behavior']);
  assert.deepEqual(single, { code: 0, stdout: 'delay --sleep 2 --before false\n', stderr: '' });
  await vaurienctl([...at, 'set-behavior', '20:delay,10:error', '--delay-sleep', '0.5', '--error-warmup', '3']);
  const set = (await vaurienctl([...at, 'get-behavior'])).stdout.trim();
  assert.equal(set, '20:delay,10:error --delay-sleep 0.5 --delay-before true --error-inject false --error-warmup 3');
  const before = api.proxy.getBehavior();
  await vaurienctl([...at, 'set-behavior', 'dummy']);
  assert.equal((await vaurienctl([...at, 'set-behavior', ...set.split(' ')])).code, 0);
  assert.deepEqual(api.proxy.getBehavior(), before, 'pasting the line back restores the same setting');
});

test('get-backend, set-backend, stats and metrics', async (t) => {
  const { api, at } = await harness(t);
  const other = await startEchoServer(t);
  assert.equal((await vaurienctl([...at, 'get-backend'])).stdout, `${api.proxy.getBackend().host}:${api.proxy.getBackend().port}\n`);
  assert.deepEqual(await vaurienctl([...at, 'set-backend', other.address]), { code: 0, stdout: `Backend changed to "${other.address}"\n`, stderr: '' });
  assert.equal(api.proxy.getBackend().port, other.port);

  const stats = await vaurienctl([...at, 'stats']);
  assert.equal(stats.code, 0);
  const parsed = JSON.parse(stats.stdout);
  assert.equal(parsed.protocol, 'tcp');
  assert.deepEqual(Object.keys(parsed.connections), ['open', 'total']);
  assert.match(stats.stdout, /^\{\n {2}"protocol": "tcp",\n/, 'pretty-printed');

  const metrics = await vaurienctl([...at, 'metrics']);
  assert.match(metrics.stdout, /^# HELP vaurien_connections_total/);
});

test('list-behaviors --details shows each behavior’s options', async (t) => {
  const { at } = await harness(t);
  const { code, stdout } = await vaurienctl([...at, 'list-behaviors', '--details']);
  assert.equal(code, 0);
  assert.match(stdout, /^delay: Adds a delay before or after the backend is called\n {2}--sleep <float> {2}Delay in seconds \(default: 1\)$/m);
});

test('the token comes from --token or VAURIEN_HTTP_TOKEN; a wrong one exits 1 with one line', async (t) => {
  const { at } = await harness(t, 'secret-token');
  assert.equal((await vaurienctl([...at, '--token', 'secret-token', 'get-behavior'])).stdout, 'dummy\n');
  assert.equal((await vaurienctl([...at, 'get-behavior'], { VAURIEN_HTTP_TOKEN: 'secret-token' })).stdout, 'dummy\n');
  const refused = await vaurienctl([...at, '--token', 'wrong', 'get-behavior']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '');
  assert.equal(refused.stderr, 'vaurienctl: the control API refused the token: missing or wrong bearer token\n');
});

test('an unreachable API prints one line and exits 1', async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const run = await vaurienctl(['--host', '127.0.0.1', '--port', String(port), 'get-behavior']);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, `vaurienctl: cannot reach the control API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
});

test('a request the API calls invalid prints its reason in one line and exits 2', async (t) => {
  const { api, at } = await harness(t);
  const unknown = await vaurienctl([...at, 'set-behavior', 'nope']);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr,
    'vaurienctl: the control API refused the request (400): unknown behavior "nope" (known: abort, bandwidth, blackout, delay, dummy, error, hang, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout, transient)\n',
  );
  const badValue = await vaurienctl([...at, 'set-behavior', 'delay', '--sleep', 'soon']);
  assert.equal(badValue.code, 2);
  assert.match(badValue.stderr, /^vaurienctl: the control API refused the request \(400\): delay\.sleep: expected a number, got "soon"\n$/);
  const badBackend = await vaurienctl([...at, 'set-backend', 'nowhere']);
  assert.equal(badBackend.code, 2);
  assert.match(badBackend.stderr, /expected HOST:PORT/);
  assert.equal(api.proxy.getBehavior().behavior, 'dummy', 'nothing changed');
});

test('command-line mistakes exit 2 with one line, before anything is sent', async (t) => {
  const { at } = await harness(t);
  const cases: Array<[string[], RegExp]> = [
    [['bogus'], /^vaurienctl: unknown command 'bogus'\n$/],
    [['set-behavior'], /^vaurienctl: missing required argument 'spec'\n$/],
    [['set-backend'], /^vaurienctl: missing required argument 'host:port'\n$/],
    [['--port', 'eighty', 'get-behavior'], /^vaurienctl: --port: expected a port in 1-65535, got "eighty"\n$/],
    [['set-behavior', '20:delay,10:error', '--sleep', '1'], /name each option's behavior: --NAME-OPTION \(e\.g\. --delay-sleep\)\n$/],
    [['set-behavior', 'delay', 'sleep'], /^vaurienctl: set-behavior: unexpected "sleep"/],
  ];
  for (const [args, stderr] of cases) {
    const run = await vaurienctl(args[0] === '--port' ? args : [...at, ...args]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, stderr);
    assert.equal(run.stdout, '');
  }
});

test('--help lists the commands; --version prints the version', async () => {
  const help = await vaurienctl(['--help']);
  assert.equal(help.code, 0);
  for (const command of ['list-behaviors', 'get-behavior', 'set-behavior', 'get-backend', 'set-backend', 'stats']) assert.ok(help.stdout.includes(command), command);
  for (const option of ['--host', '--port', '--token']) assert.ok(help.stdout.includes(option), option);
  const version = await vaurienctl(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('against a real `vaurien --http` on localhost, with the default --host', async (t) => {
  const echo = await startEchoServer(t);
  const { startProxy, stopProxy } = await import('../../lib/index.js');
  const free = async (): Promise<number> => {
    const server = createServer().listen(0, 'localhost');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  };
  const httpPort = await free();
  const pid = await startProxy({ proxyPort: await free(), backendHost: '127.0.0.1', backendPort: echo.port, httpPort });
  t.after(() => stopProxy(pid));
  const port = ['--port', String(httpPort)];
  assert.equal((await vaurienctl([...port, 'list-behaviors'])).stdout, 'abort, bandwidth, blackout, delay, dummy, error, hang, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout, transient\n');
  assert.equal((await vaurienctl([...port, 'set-behavior', 'blackout'])).stdout, 'Behavior changed to "blackout"\n');
  assert.equal((await vaurienctl([...port, 'get-behavior'])).stdout, 'blackout\n');
  assert.equal((await vaurienctl([...port, 'get-backend'])).stdout, `127.0.0.1:${echo.port}\n`);
});
