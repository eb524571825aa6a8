// The `vaurien` command as a user runs it: flags, --help, config files, usage errors, signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { bannerPort, runVaurien, startVaurien, VAURIEN_BIN } from '../helpers/cli.js';
import { eventually } from '../helpers/http-server.js';
import { rawClient, startEchoServer } from '../helpers/sockets.js';

test('--help lists every flag, every behavior and protocol with their options', async () => {
  const { code, stdout } = await runVaurien(['--help']);
  assert.equal(code, 0);
  for (const flag of ['--proxy', '--backend', '--protocol', '--behavior', '--config', '--http', '--http-host', '--http-port', '--stay-connected', '--timeout', '--backlog', '--pool-max-size', '--pool-timeout', '--log-level', '--log-output', '--grace', '--seed', '--version']) {
    assert.ok(stdout.includes(flag), `--help does not mention ${flag}`);
  }
  for (const behavior of ['abort', 'blackout', 'delay', 'dummy', 'error', 'hang', 'transient']) assert.match(stdout, new RegExp(`\\n  ${behavior} `));
  for (const protocol of ['tcp', 'http', 'redis', 'memcache', 'smtp', 'mysql', 'postgres']) assert.match(stdout, new RegExp(`\\n  ${protocol} `));
  for (const flag of ['--protocol-mysql-handshake', '--protocol-smtp-handshake', '--protocol-postgres-handshake', '--protocol-postgres-sqlstate']) assert.ok(stdout.includes(flag), `--help does not mention ${flag}`);
  assert.ok(stdout.includes('--behavior-delay-sleep'));
  assert.ok(stdout.includes('--behavior-error-warmup'));
  assert.ok(stdout.includes('--protocol-http-keep-alive'));
  assert.match(stdout, /\n {2}hang +Reads the packets that have been sent then hangs/);
  assert.doesNotMatch(stdout, /pdb|set_trace/, 'a Python joke in a Node tool');
});

test('vaurien help prints the help (exit 0), and vaurien help demo the demo\'s', async () => {
  const help = await runVaurien(['help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: vaurien \[options\] \[command\]/);
  assert.match(help.stdout, /--behavior-delay-sleep/);
  const demo = await runVaurien(['help', 'demo']);
  assert.equal(demo.code, 0, demo.stderr);
  assert.match(demo.stdout, /^Usage: vaurien demo \[options\]/);
});

test('the installed command and npm start run Node with the flags of VAURIEN_NODE_FLAGS (bench/RESULTS.md says why)', async () => {
  const shebang = readFileSync(VAURIEN_BIN, 'utf8').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${VAURIEN_NODE_FLAGS.join(' ')}`);
  const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts['start'], `node ${VAURIEN_NODE_FLAGS.join(' ')} dist/bin/vaurien.js demo`);
  // Run through the shebang, as npm's link to the bin runs it.
  chmodSync(VAURIEN_BIN, 0o755);
  const { stdout } = await promisify(execFile)(VAURIEN_BIN, ['--version']);
  assert.match(stdout, /^\d+\.\d+\.\d+/);
});

test('--version prints the version', async () => {
  const { code, stdout } = await runVaurien(['--version']);
  assert.equal(code, 0);
  assert.match(stdout.trim(), /^\d+\.\d+\.\d+$/);
});

const usageMistakes: Array<[string[], RegExp]> = [
  [['--nope'], /unknown option '--nope'/],
  [['--proxy', 'nowhere'], /--proxy: expected HOST:PORT/],
  [['--backend', 'host:99999'], /--backend: port must be 0-65535/],
  [['--behavior', '60:delay,50:error'], /more than 100/],
  [['--behavior', 'twenty:delay'], /--behavior: malformed entry/],
  [['--behavior', '20:nope'], /unknown behavior "nope" \(known: abort, bandwidth, blackout, delay, dummy, error, hang, latency, limit_data, noop, reset_peer, slicer, slow_close, timeout, transient/],
  [['--protocol', 'ldap'], /unknown protocol "ldap" \(known: .*tcp/],
  [['--behavior-delay-sleep', 'abc'], /--behavior-delay-sleep: expected a number, got "abc"/],
  [['--behavior-delay-sleep', '-1'], /--behavior-delay-sleep: must be at least 0/],
  [['--behavior-delay-sleep', 'NaN'], /--behavior-delay-sleep: expected a number/],
  [['--behavior-delay-sleep', '1e12'], /--behavior-delay-sleep: must be at most/],
  [['--behavior-error-warmup', '1.5'], /--behavior-error-warmup: expected an integer/],
  [['--behavior-delay-before', 'maybe'], /--behavior-delay-before: expected true or false/],
  [['--timeout', '0'], /--timeout: must be at least/],
  [['--http-port', 'http'], /--http-port: expected an integer/],
  [['--log-level', 'loud'], /--log-level: expected one of critical, error, warning, info, debug/],
  [['--seed', 'x'], /--seed: expected an integer/],
  [['--config', '/no/such/file.ini'], /--config \/no\/such\/file.ini: cannot read the file/],
  [['--behavior', '20:./no-such-plugin.js'], /plugin "\.\/no-such-plugin\.js": cannot load it/],
  [['stray'], /too many arguments|unknown command/],
  [['--protocol', 'redis', '--protocol-http-buffer', '10'], /--protocol-http-buffer: an option of protocol http, but the protocol is redis \(--protocol redis\): it would be ignored; for redis, --protocol-redis-buffer\n$/],
  [['--behavior', '20:my-chaos'], /unknown behavior "my-chaos" \(known: [^)]*\); a plugin is named by its file \(\.\/my-chaos\.js\) or an installed package \(my-chaos, my-chaos#EXPORT\), and no package "my-chaos" was found\n$/],
];

for (const [args, expected] of usageMistakes) {
  test(`usage mistake "vaurien ${args.join(' ')}" prints one line and exits 2`, async () => {
    const { code, stderr, stdout } = await runVaurien(args);
    assert.equal(code, 2, `exit code; stderr: ${stderr}`);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
    assert.match(lines[0] as string, /^vaurien: /);
    assert.match(stderr, expected);
    assert.doesNotMatch(stderr, /\n\s+at /, 'a stack trace was printed');
    assert.equal(stdout, '');
  });
}

test('a proxy port already in use is a usage error (exit 2, one line)', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const { code, stderr } = await runVaurien(['--proxy', `127.0.0.1:${port}`]);
  assert.equal(code, 2);
  assert.match(stderr.trim(), new RegExp(`^vaurien: --proxy 127.0.0.1:${port}: address already in use$`));
});

test('the documented command line runs: tcp, a weighted delay with --behavior-delay-sleep, the seed printed', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--protocol', 'tcp', '--proxy', 'localhost:0', '--backend', echo.address, '--behavior', '100:delay', '--behavior-delay-sleep', '0.2', '--seed', '1234']);
  assert.match(vaurien.banner, /protocol tcp, behavior delay, seed 1234/);
  const client = await rawClient(t, bannerPort(vaurien.banner));
  const started = performance.now();
  client.socket.write('ping');
  await client.waitFor(4);
  assert.ok(performance.now() - started >= 190);
  assert.equal(await vaurien.stop('SIGTERM'), 0);
});

test('--handler-NAME-OPTION is the same as --behavior-NAME-OPTION', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', 'localhost:0', '--backend', echo.address, '--behavior', '100:delay', '--handler-delay-sleep', '0.2']);
  const client = await rawClient(t, bannerPort(vaurien.banner));
  const started = performance.now();
  client.socket.write('ping');
  await client.waitFor(4);
  assert.ok(performance.now() - started >= 190);
});

test('without --seed a random seed is drawn and printed', async (t) => {
  const echo = await startEchoServer(t);
  const first = await startVaurien(t, ['--proxy', 'localhost:0', '--backend', echo.address]);
  const second = await startVaurien(t, ['--proxy', 'localhost:0', '--backend', echo.address]);
  const seedOf = (banner: string): string => /seed (\d+)/.exec(banner)?.[1] ?? 'none';
  assert.notEqual(seedOf(first.banner), 'none');
  assert.notEqual(seedOf(first.banner), seedOf(second.banner));
});

test('SIGINT with an idle connection exits 0 at once, not after the grace period', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', 'localhost:0', '--backend', echo.address, '--grace', '5']);
  await rawClient(t, bannerPort(vaurien.banner));
  const started = performance.now();
  assert.equal(await vaurien.stop('SIGINT'), 0);
  assert.ok(performance.now() - started < 3000);
});

test('a held hang does not keep vaurien past --grace on SIGTERM', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', 'localhost:0', '--backend', echo.address, '--behavior', '100:hang', '--grace', '0.5']);
  const client = await rawClient(t, bannerPort(vaurien.banner));
  client.socket.write('stuck');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  assert.equal(await vaurien.stop('SIGTERM'), 0);
  const took = performance.now() - started;
  assert.ok(took >= 400 && took < 4000, `exit took ${took} ms`);
  await client.ended;
});

test('the log goes to --log-output, at --log-level', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-log-'));
  const logFile = join(dir, 'vaurien.log');
  const vaurien = await startVaurien(t, ['--proxy', 'localhost:0', '--backend', '127.0.0.1:1', '--log-output', logFile, '--log-level', 'debug']);
  const client = await rawClient(t, bannerPort(vaurien.banner));
  await client.ended;
  assert.equal(await vaurien.stop(), 0);
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync(logFile, 'utf8'), /\[warning\] #1 .*backend 127\.0\.0\.1:1 unavailable: ECONNREFUSED/);
  assert.equal(vaurien.stderr(), '');
});

test('--config: the file is read, command-line flags override it, unknown keys are warned about', async (t) => {
  const echo = await startEchoServer(t);
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-config-'));
  const file = join(dir, 'vaurien.ini');
  writeFileSync(
    file,
    [
      '[vaurien]',
      'backend = ${ECHO_BACKEND}',
      'proxy = localhost:0',
      'protocol = tcp',
      'behavior = 100:delay',
      'colour = blue',
      '',
      '[behavior:delay]          ; the delay settings',
      'sleep = 5',
      '',
    ].join('\n'),
  );
  const vaurien = await startVaurien(t, ['--config', file, '--behavior-delay-sleep', '0.2'], { env: { ECHO_BACKEND: echo.address } });
  assert.match(vaurien.banner, new RegExp(`-> ${echo.address.replace('.', '\\.')} \\(protocol tcp, behavior delay`));
  assert.match(vaurien.stderr(), /unknown key "colour"/);
  const client = await rawClient(t, bannerPort(vaurien.banner));
  const started = performance.now();
  client.socket.write('ping');
  await client.waitFor(4);
  const took = performance.now() - started;
  assert.ok(took >= 190 && took < 2000, `the flag's sleep (0.2) should win over the file's (5): took ${took} ms`);
});

test('options of a behavior outside the mix, or a config section of another protocol, start with a warning naming them', async (t) => {
  const echo = await startEchoServer(t);
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-config-'));
  const file = join(dir, 'vaurien.ini');
  writeFileSync(file, ['[vaurien]', 'protocol = redis', '', '[protocol:http]', 'buffer = 4096', ''].join('\n'));
  const vaurien = await startVaurien(t, ['--config', file, '--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', '20:delay', '--behavior-error-warmup', '3']);
  await eventually(() => vaurien.stderr().split('\n').length > 2);
  assert.match(vaurien.stderr(), /\[warning\] --behavior-error-warmup: error is not in the behavior mix \(--behavior 20:delay\): no effect \(without --http the mix never changes\)/);
  assert.match(vaurien.stderr(), /\[warning\] .*vaurien\.ini: \[protocol:http\] ignored: the protocol is redis \(.*vaurien\.ini: \[vaurien\] protocol redis\)/);
  const withApi = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior-error-warmup', '3', '--http', '--http-port', '0']);
  await eventually(() => withApi.stderr().includes('[warning]'));
  assert.match(withApi.stderr(), /--behavior-error-warmup: error is not in the behavior mix \(--behavior 100:dummy\): kept for when the control API switches to error/);
});

test('--config: a missing ${ENV} variable is a usage error naming the key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-config-'));
  const file = join(dir, 'vaurien.ini');
  writeFileSync(file, '[vaurien]\nbackend = ${VAURIEN_TEST_UNSET_VARIABLE}\n');
  const { code, stderr } = await runVaurien(['--config', file]);
  assert.equal(code, 2);
  assert.match(stderr, /\[vaurien\] backend: environment variable VAURIEN_TEST_UNSET_VARIABLE is not set/);
});

test('--config: a wrongly typed option names the file, section and key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-config-'));
  const file = join(dir, 'vaurien.ini');
  writeFileSync(file, '[vaurien]\nbehavior = 20:delay\n\n[behavior:delay]\nsleep = soon\n');
  const { code, stderr } = await runVaurien(['--config', file]);
  assert.equal(code, 2);
  assert.match(stderr, /vaurien\.ini: \[behavior:delay\] sleep: expected a number, got "soon"/);
});
