// A plugin file lying in a folder of its own (no node_modules near it) imports `vaurien` and
// `vaurien/rxjs` and gets the running vaurien: loaded in-process and by the `vaurien` command,
// it acts on real traffic, and its RxJS and registry are the ones vaurien uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { identity } from 'rxjs';
import { Behavior } from '../../lib/index.js';
import { loadBehaviorPlugin } from '../../lib/registry/load-plugin.js';
import { RUNNING_ENTRIES } from '../../lib/registry/plugin-resolve-hook.js';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { startTestProxy } from '../helpers/proxy.js';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';
import { tempFolder } from '../helpers/temp-folder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ANYWHERE = join(ROOT, 'test', 'fixtures', 'plugins', 'anywhere.js');

test('a plugin file in a bare folder imports vaurien and vaurien/rxjs, loads in-process and acts on traffic', async (t) => {
  const dir = tempFolder(t, 'stray-plugin');
  // .mjs: tsx, which runs this test, turns a .js outside a "type": "module" package into
  // CommonJS; the `vaurien` command (plain Node) reads the same file as .js (next test).
  copyFileSync(ANYWHERE, join(dir, 'mine.mjs'));
  assert.equal(await loadBehaviorPlugin('./mine.mjs', dir), 'anywhere');
  const loaded = (await import(join(dir, 'mine.mjs'))) as { rxjsIdentity: unknown };
  assert.equal(loaded.rxjsIdentity, identity, 'vaurien/rxjs is the RxJS vaurien runs');
  assert.ok(Behavior.get('anywhere-twin') !== undefined, "the plugin's Behavior.register reached the registry in use");
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'anywhere' });
  assert.equal((await roundTrip(port, Buffer.from('quiet please'))).toString(), 'QUIET PLEASE');
});

test('vaurien --behavior 100:/abs/path/mine.js loads a plugin from a bare folder that imports vaurien/rxjs', async (t) => {
  const dir = tempFolder(t, 'stray-plugin');
  copyFileSync(ANYWHERE, join(dir, 'mine.js'));
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', `100:${join(dir, 'mine.js')}`], { cwd: dir });
  assert.match(vaurien.banner, /behavior anywhere/);
  assert.equal((await roundTrip(bannerPort(vaurien.banner), Buffer.from('quiet please'))).toString(), 'QUIET PLEASE');
});

test('a plugin with its own rxjs beside it keeps it; a vaurien beside it is not the one used', async (t) => {
  const dir = tempFolder(t, 'own-deps');
  const stub = (name: string, source: string): void => {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, type: 'module', exports: './index.js' }));
    writeFileSync(join(dir, 'node_modules', name, 'index.js'), source);
  };
  stub('rxjs', "export const identity = (source) => source;\nexport const whose = 'the plugin folder';\n");
  stub('vaurien', "export const whose = 'a stale copy';\n");
  writeFileSync(
    join(dir, 'own.mjs'),
    [
      "import { identity, whose } from 'rxjs';",
      "import { defineBehavior } from 'vaurien';", // the stale copy has no defineBehavior: the import would fail
      "export const rxjsOrigin = whose;",
      "export default defineBehavior({ name: 'own-deps', description: 'x', options: {}, operator: () => identity });",
    ].join('\n'),
  );
  assert.equal(await loadBehaviorPlugin('./own.mjs', dir), 'own-deps');
  const loaded = (await import(join(dir, 'own.mjs'))) as { rxjsOrigin: string };
  assert.equal(loaded.rxjsOrigin, 'the plugin folder', 'Node found an rxjs next to the plugin, so it is used');
});

test('the running-copy table of the resolve hook matches package.json exports', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> };
  const exported = Object.entries(manifest.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]): [string, string] => [posix.join('vaurien', subpath), typeof target === 'string' ? target : target.default]);
  const table = Object.entries(RUNNING_ENTRIES).map(([specifier, relative]): [string, string] => [specifier, `./${posix.join('dist/lib/registry', relative)}`]);
  assert.deepEqual(table.sort(), exported.sort());
});
