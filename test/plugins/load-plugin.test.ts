// Loading behavior and protocol plugins in-process, every way a user can name them: a file
// path, `package#export` (a real package in a node_modules folder), a config `callable`
// (registered under the section's name), in both behavior styles (RxJS operator and hooks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { Behavior, defineHookBehavior, Protocol, UsageError } from '../../lib/index.js';
import { loadBehaviorPlugin, loadProtocolPlugin, resolveBehaviorSpecPlugins } from '../../lib/registry/load-plugin.js';
import { startTestProxy } from '../helpers/proxy.js';
import { roundTrip, startEchoServer, startTcpServer } from '../helpers/sockets.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A package `chaos-pack` (ESM only: no "require" condition) in a fresh node_modules folder. */
function makePackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-plugins-'));
  const pack = join(dir, 'node_modules', 'chaos-pack');
  mkdirSync(join(pack, 'lib'), { recursive: true });
  // The package's own dependency on rxjs, as an installed package would have it.
  symlinkSync(join(ROOT, 'node_modules', 'rxjs'), join(dir, 'node_modules', 'rxjs'), 'dir');
  writeFileSync(join(pack, 'package.json'), JSON.stringify({ name: 'chaos-pack', type: 'module', exports: { '.': { import: './lib/index.js' } } }));
  writeFileSync(
    join(pack, 'lib', 'index.js'),
    [
      "import { identity, map } from 'rxjs';",
      'export const truncate = {',
      "  name: 'truncate', description: 'Keeps the first `keep` bytes of each response',",
      "  options: { keep: { type: 'int', default: 2, description: 'Bytes kept' } },",
      "  operator: ({ direction, options }) => direction === 'response' ? map((m) => ({ ...m, bytes: m.bytes.subarray(0, options.keep) })) : identity,",
      '};',
      'export const bracket = {',
      "  name: 'bracket', options: {},",
      "  onBeforeHandle: (message, { toBackend }) => toBackend ? true : Buffer.concat([Buffer.from('['), message.bytes, Buffer.from(']')]),",
      '};',
      'export default truncate;',
    ].join('\n'),
  );
  return dir;
}

/** One exchange on a fresh connection: what comes back within `ms` (or until the proxy closes). */
function exchange(port: number, payload: string, ms = 300): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, ms);
    socket.on('data', (data: Buffer) => (text += data.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => {});
  });
}

test('an RxJS behavior plugin loads from a file path relative to the base folder and acts on traffic', async (t) => {
  assert.equal(await loadBehaviorPlugin('./shout.js', FIXTURES), 'shout');
  assert.ok(Behavior.names().includes('shout'));
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'shout', behaviorOptions: { shout: { times: 2 } } });
  assert.equal((await roundTrip(port, Buffer.from('hello'))).toString(), 'HELLOHELLO');
});

test('a hook-style plugin (onBeforeHandle/onAfterHandle) loads from a file, with the original option tuples', async (t) => {
  assert.equal(await loadBehaviorPlugin(join(FIXTURES, 'tag-hooks.js'), '/'), 'tag-hooks');
  const definition = Behavior.get('tag-hooks');
  assert.deepEqual(definition?.options, {
    tag: { description: 'Prefix put before each response', type: 'string', default: '>' },
    wait: { description: 'Milliseconds to wait before each request', type: 'int', default: 0 },
  });
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'tag-hooks', behaviorOptions: { 'tag-hooks': { tag: '#', wait: 150 } } });
  const started = performance.now();
  assert.equal(await exchange(port, 'hi\n'), '#hi\n', 'the response was replaced by the Buffer onBeforeHandle returned');
  assert.ok(performance.now() - started >= 140, 'the async hook held the request');
  assert.equal(await exchange(port, 'please drop me\n', 200), '', 'returning false dropped the request');
  const { seen } = (await import(join(FIXTURES, 'tag-hooks.js'))) as { seen: { before: number; after: number } };
  assert.ok(seen.before >= 3 && seen.after >= 2, JSON.stringify(seen));
  assert.ok(seen.after < seen.before, 'onAfterHandle is not called for a dropped message');
});

test('a class with hooks (the original registered classes) is instantiated once and keeps its state', async (t) => {
  assert.equal(await loadBehaviorPlugin('./class-hooks.js', FIXTURES), 'reverse');
  const upstream: string[] = [];
  const backend = await startTcpServer(t, (socket) =>
    socket.on('data', (data: Buffer) => {
      upstream.push(data.toString());
      socket.write('ok');
    }),
  );
  const { port } = await startTestProxy(t, { backend: backend.address, behavior: 'reverse' });
  assert.equal(await exchange(port, 'abc', 200), 'ok');
  assert.deepEqual(upstream, ['cba']);
});

test('a port of an original plugin loads: on_before_handle spelling, option tuples typed Boolean, Number, String', async (t) => {
  assert.equal(await loadBehaviorPlugin('./snake-hooks.js', FIXTURES), 'snake-hooks');
  assert.deepEqual(Behavior.get('snake-hooks')?.options, {
    prefix: { description: 'Put before each answer', type: 'string', default: '~' },
    twice: { description: 'Repeat each answer', type: 'bool', default: false },
    pause: { description: 'Seconds to wait before each request', type: 'float', default: 0 },
  });
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'snake-hooks', behaviorOptions: { 'snake-hooks': { prefix: '>>', twice: true, pause: 0.15 } } });
  const started = performance.now();
  assert.equal(await exchange(port, 'hi', 400), '>>hi>>hi');
  assert.ok(performance.now() - started >= 140, 'the hook waited pause (a Number option: 0.15 s)');
});

test('an option tuple of an unknown type is refused naming the type, not its source code', () => {
  assert.throws(
    () => defineHookBehavior({ name: 'dated', options: { when: ['When', Date as unknown as StringConstructor, ''] }, onBeforeHandle: () => true }),
    (error: unknown) => error instanceof Error && /option when has unknown type "Date" \(bool, int, float or string; or Boolean, Number, String\)/.test(error.message) && !error.message.includes('native code'),
  );
});

test('package#export and a bare package name load from node_modules above the base folder (ESM-only package)', async (t) => {
  const dir = makePackage();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(await loadBehaviorPlugin('chaos-pack#bracket', dir), 'bracket');
  assert.equal(await loadBehaviorPlugin('chaos-pack', join(dir, 'node_modules')), 'truncate', 'the default export');
  const echo = await startEchoServer(t);
  const bracketed = await startTestProxy(t, { backend: echo.address, behavior: 'bracket' });
  assert.equal(await exchange(bracketed.port, 'x', 200), '[x]');
  const truncated = await startTestProxy(t, { backend: echo.address, behavior: 'truncate', behaviorOptions: { truncate: { keep: 3 } } });
  assert.equal(await exchange(truncated.port, 'abcdef', 200), 'abc');
});

test('a config `callable` registers the plugin under its section name', async (t) => {
  const dir = makePackage();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(await loadBehaviorPlugin('./tag-hooks.js', FIXTURES, 'mine'), 'mine');
  assert.equal(await loadBehaviorPlugin('chaos-pack#truncate', dir, 'cut'), 'cut');
  assert.equal(Behavior.get('mine')?.description, 'Tags responses, drops requests saying "drop"');
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'cut', behaviorOptions: { cut: { keep: 1 } } });
  assert.equal(await exchange(port, 'xyz', 200), 'x');
});

test('plugin references inside a weighted spec are loaded and replaced by their names', async () => {
  const dir = makePackage();
  try {
    assert.equal(await resolveBehaviorSpecPlugins('20:./shout.js,10:delay,5:./class-hooks.js', FIXTURES), '20:shout,10:delay,5:reverse');
    assert.equal(await resolveBehaviorSpecPlugins('chaos-pack#bracket', dir), 'bracket');
    assert.equal(await resolveBehaviorSpecPlugins('20:delay,10:error', FIXTURES), '20:delay,10:error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a protocol plugin loads from a file; its framer pairs replies and errors answer in the protocol', async (t) => {
  assert.equal(await loadProtocolPlugin('./examples/line-protocol.js', ROOT), 'line');
  assert.equal(Protocol.get('line')?.pairing, 'ordered');
  const echo = await startEchoServer(t);
  const { port, proxy } = await startTestProxy(t, { backend: echo.address, protocol: 'line', behavior: 'error' });
  assert.equal(await exchange(port, 'GET a\nSET b\n', 300), 'ERR GET unavailable\nERR SET unavailable\n');
  proxy.setBehavior('dummy');
  assert.equal(await exchange(port, 'GET a\nSET b\n', 300), 'GET a\nSET b\n');
  assert.equal(proxy.protocolOptions['max_line'], 4096);
});

test('plugin mistakes are usage errors that name the reference and the problem', async () => {
  const cases: Array<[() => Promise<string>, RegExp]> = [
    [() => loadBehaviorPlugin('./missing.js', FIXTURES), /plugin "\.\/missing\.js": cannot load it: no such file .*missing\.js/],
    [() => loadBehaviorPlugin('./shout.js#nope', FIXTURES), /plugin "\.\/shout\.js#nope": the module has no export "nope" \(it has: shout\)/],
    [() => loadBehaviorPlugin('./not-a-plugin.js', FIXTURES), /plugin "\.\/not-a-plugin\.js": the module exports no plugin/],
    [() => loadBehaviorPlugin('./not-a-plugin.js#answer', FIXTURES), /not a behavior/],
    [() => loadBehaviorPlugin('./bad-options.js', FIXTURES), /option "rate" needs a type \(bool, int, float or string\)/],
    [() => loadBehaviorPlugin('./throws.js', FIXTURES), /plugin "\.\/throws\.js": cannot load it: this plugin cannot even load/],
    [() => loadBehaviorPlugin('no-such-package#x', FIXTURES), /cannot find module "no-such-package"/],
    [() => loadProtocolPlugin('./shout.js', FIXTURES), /the module exports no plugin|not a protocol definition/],
    [() => loadBehaviorPlugin('./examples/line-protocol.js', ROOT), /exports no plugin|not a behavior/],
  ];
  for (const [load, message] of cases) {
    const error = await load().catch((caught: unknown) => caught);
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, message);
  }
});
