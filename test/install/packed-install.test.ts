// The README's install: `npm pack`, the tarball installed globally into a temporary prefix, its
// commands run through their shebang as a shell runs them, a plugin file in an unrelated folder
// loaded by the installed vaurien, and the dashboard served from the installed package's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bannerPort, runVaurien, startVaurien, VAURIEN_BIN } from '../helpers/cli.js';
import { bannerApiPort } from '../helpers/control-api.js';
import { roundTrip, startEchoServer } from '../helpers/sockets.js';
import { tempFolder } from '../helpers/temp-folder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/**
 * npm as `npm test` runs it (its npm-cli.js with this node), else the one on the PATH; without
 * the npm_config_* variables `npm test` exports (its prefix and project folder), as a shell has.
 */
function npm(args: readonly string[], cwd: string): Promise<{ stdout: string }> {
  const cli = process.env['npm_execpath'];
  const [file, first] = cli !== undefined && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  return promisify(execFile)(file, [...first, ...args], { cwd, env, timeout: 90_000 });
}

function hasNodeModulesAbove(dir: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules'))) return true;
    if (dirname(at) === at) return false;
  }
}

test('npm pack, then npm install -g of the tarball: vaurien and vaurienctl run, and load a plugin from a bare folder', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(VAURIEN_BIN), 'dist/ is missing: run `npm run build` first (npm test does)');
  const work = tempFolder(t, 'install');
  // --ignore-scripts: `prepare` would build dist/ again; `npm test` has just built it (4–5 s saved).
  const packed = JSON.parse((await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)).stdout) as Array<{ filename: string }>;
  const tarball = join(work, packed[0]?.filename ?? '');
  const prefix = join(work, 'prefix');
  // --prefer-offline: the dependencies `npm ci` just fetched are in npm's cache.
  await npm(['install', '--global', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], work);

  const vaurien = join(prefix, 'bin', 'vaurien');
  assert.ok(realpathSync(vaurien).startsWith(realpathSync(prefix)), 'the command runs the installed copy, not this checkout');
  const env = { PATH: [join(prefix, 'bin'), dirname(process.execPath), process.env['PATH'] ?? ''].join(delimiter) };
  assert.deepEqual(await runVaurien(['--version'], { bin: vaurien, env, cwd: work }), { code: 0, stdout: `${version}\n`, stderr: '' });
  const help = await runVaurien(['--help'], { bin: vaurien, env, cwd: work });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /--behavior-delay-sleep/);
  const ctlHelp = await runVaurien(['--help'], { bin: join(prefix, 'bin', 'vaurienctl'), env, cwd: work });
  assert.equal(ctlHelp.code, 0, ctlHelp.stderr);
  assert.match(ctlHelp.stdout, /set-behavior/);

  const plugins = tempFolder(t, 'plugin-elsewhere');
  assert.ok(!hasNodeModulesAbove(plugins), `${plugins} has a node_modules folder above it`);
  const plugin = join(plugins, 'mine.js');
  copyFileSync(join(ROOT, 'test', 'fixtures', 'plugins', 'anywhere.js'), plugin); // imports vaurien and vaurien/rxjs
  const echo = await startEchoServer(t);
  const running = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', `100:${plugin}`, '--http', '--http-port', '0'], { bin: vaurien, env, cwd: plugins });
  assert.match(running.banner, /behavior anywhere/);
  assert.equal((await roundTrip(bannerPort(running.banner), Buffer.from('installed'))).toString(), 'INSTALLED');
  // The dashboard's files come from the installed package: its ui/ and its uplot dependency.
  const api = `http://127.0.0.1:${bannerApiPort(running.banner)}`;
  for (const [path, type] of [['/ui/', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/style.css', 'text/css'], ['/ui/vendor/uplot.js', 'text/javascript'], ['/ui/vendor/uplot.css', 'text/css']] as const) {
    const answer = await fetch(`${api}${path}`);
    assert.equal(answer.status, 200, path);
    assert.match(answer.headers.get('content-type') ?? '', new RegExp(`^${type}`), path);
    assert.ok((await answer.text()).length > 100, path);
  }
  assert.equal(await running.stop(), 0);
});
