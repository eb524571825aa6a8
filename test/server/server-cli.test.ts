// `vaurien server` as a command, the way a script that starts toxiproxy-server would start it:
// single-dash flags, a config file of proxies with toxics declared at start-up, a clean exit on
// SIGTERM, one-line errors. And Toxiproxy's toxics from the `vaurien` command itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { runVaurien, startVaurien } from '../helpers/cli.js';
import { freePort } from '../helpers/sockets.js';
import { session, startScriptedBackend, startServerCommand } from '../helpers/toxiproxy-server.js';

function configFile(proxies: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vaurien-server-')), 'toxiproxy.json');
  writeFileSync(path, JSON.stringify(proxies));
  return path;
}

test('started like toxiproxy-server (-host -port -config -seed), it serves the config’s proxies with their toxics, and exits 0 on SIGTERM', async (t) => {
  const backend = await startScriptedBackend(t);
  const [apiPort, slowPort, plainPort] = [await freePort(), await freePort(), await freePort()];
  const config = configFile([
    { name: 'slow', listen: `127.0.0.1:${slowPort}`, upstream: backend.address, toxics: [{ type: 'latency', attributes: { latency: 150 } }] },
    { name: 'plain', listen: `127.0.0.1:${plainPort}`, upstream: backend.address },
  ]);
  const running = await startServerCommand(t, ['-host', '127.0.0.1', `-port=${apiPort}`, '-config', config, '-seed', '12']);
  assert.match(running.banner, new RegExp(`server on http://127\\.0\\.0\\.1:${apiPort} \\(2 proxies, seed 12\\)`));
  assert.ok((await session(slowPort, 'ECHO\nx', { stopAt: 4 })).endMs >= 145, 'the declared latency is in force from the start');
  assert.ok((await session(plainPort, 'ECHO\nx', { stopAt: 4 })).endMs < 140);
  const client = new Toxiproxy(`http://127.0.0.1:${apiPort}`);
  const slow = await client.get('slow');
  assert.deepEqual((await slow.getToxic('latency_downstream')).attributes, { latency: 150, jitter: 0 });
  assert.equal(await running.stop('SIGTERM'), 0);
  assert.equal((await session(slowPort, 'x', { timeoutMs: 1000 })).outcome, 'ECONNREFUSED', 'its proxies closed with it');
});

test('mistakes at start-up are one line on stderr and exit status 2', async (t) => {
  const taken = await startScriptedBackend(t);
  const cases: Array<[string[], RegExp]> = [
    [['server', '-config', '/nonexistent/toxiproxy.json'], /^vaurien: --config \/nonexistent\/toxiproxy\.json: cannot read it \(ENOENT\)\n$/],
    [['server', '-config', configFile({ name: 'x' })], /expected a JSON array of proxies/],
    [['server', '-config', configFile([{ name: 'x', listen: '127.0.0.1:0', upstream: 'y', toxics: [{ type: 'quake' }] }])], /invalid toxic type \(toxic 1 at proxy 1\)/],
    [['server', '-port', String(taken.port), '-host', '127.0.0.1'], /^vaurien: --host\/--port 127\.0\.0\.1:\d+: address already in use\n$/],
    [['server', '-port', 'eighty'], /--port: expected 0-65535, got "eighty"/],
    [['server', '--nope'], /unknown option '--nope'/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await runVaurien(args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});

test('vaurien server --help lists its flags; vaurien --help lists the server command', async () => {
  const server = await runVaurien(['server', '--help']);
  assert.equal(server.code, 0);
  for (const flag of ['--host', '--port', '--config', '--seed', '--token', '--fault-log', '--fault-log-all']) assert.match(server.stdout, new RegExp(flag));
  assert.match((await runVaurien(['--help'])).stdout, /\n {2}server +Run a Toxiproxy-compatible server/);
});

test('the vaurien command takes Toxiproxy’s toxics as behaviors: --behavior 100:latency --behavior-latency-latency 200', async (t) => {
  const backend = await startScriptedBackend(t);
  const port = await freePort();
  await startVaurien(t, ['--proxy', `127.0.0.1:${port}`, '--backend', backend.address, '--behavior', '100:latency', '--behavior-latency-latency', '200']);
  const seen = await session(port, 'ECHO\nx', { stopAt: 4 });
  assert.ok(seen.endMs >= 195 && seen.endMs < 400, `${seen.endMs.toFixed(0)} ms`);
});

test('a behavior with an underscore takes its flags either way: --behavior-limit_data-bytes and --behavior-limit-data-bytes', async (t) => {
  const backend = await startScriptedBackend(t);
  for (const flag of ['--behavior-limit_data-bytes', '--behavior-limit-data-bytes']) {
    const port = await freePort();
    const running = await startVaurien(t, ['--proxy', `127.0.0.1:${port}`, '--backend', backend.address, '--behavior', '100:limit_data', flag, '700']);
    assert.deepEqual([(await session(port, 'SEND 5000\n')).bytes], [700], flag);
    await running.stop();
  }
  const wrong = await runVaurien(['--backend', backend.address, '--behavior', '100:latency', '--behavior-latency-stream', 'sideways']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--behavior-latency-stream: expected one of upstream, downstream, got "sideways"/);
});
