// Plugins as a `vaurien` user names them (the built CLI, a real child process): a file path in
// --behavior or --protocol, `package#export`, and a config file's `callable`; their options get
// flags and --help lines, and the control API lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { bannerPort, runVaurien, startVaurien } from '../helpers/cli.js';
import { startEchoServer, startTcpServer } from '../helpers/sockets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'plugins');

function apiPort(banner: string): number {
  const match = /control API on http:\/\/\S+:(\d+)/.exec(banner);
  if (match === null) throw new Error(`no control API in "${banner}"`);
  return Number(match[1]);
}

// `any`: each assertion reads the fields of the endpoint it calls.
async function getJson(port: number, path: string): Promise<any> {
  const response = await request(`http://127.0.0.1:${port}${path}`);
  return response.body.json();
}

function tcpExchange(port: number, payload: string, ms = 400): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, ms);
    socket.on('data', (data: Buffer) => {
      text += data.toString('latin1');
      if (text.length >= payload.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', () => {});
  });
}

test('--behavior 100:./file.js loads an RxJS plugin relative to the working directory; its option flag works; the API lists it', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(
    t,
    ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', '100:./examples/corrupt-every-nth.js', '--behavior-corrupt-every-nth-nth', '2', '--http', '--http-host', '127.0.0.1', '--http-port', '0'],
    { cwd: ROOT },
  );
  const port = bannerPort(vaurien.banner);
  const outcomes = [];
  for (let i = 0; i < 4; i++) outcomes.push((await tcpExchange(port, `payload number ${i}`)) === `payload number ${i}` ? 'intact' : 'corrupted');
  assert.deepEqual(outcomes, ['intact', 'corrupted', 'intact', 'corrupted']);
  const api = apiPort(vaurien.banner);
  assert.ok((await getJson(api, '/behaviors')).behaviors.includes('corrupt-every-nth'));
  const details = await getJson(api, '/behaviors/corrupt-every-nth');
  assert.deepEqual(details.options.nth, { type: 'int', default: 2, description: 'Corrupt one exchange in nth', min: 1 });
  assert.equal((await getJson(api, '/behavior')).behavior, 'corrupt-every-nth');
});

test('--help with a plugin named in --behavior lists its options as flags', async () => {
  const { code, stdout } = await runVaurien(['--behavior', './examples/corrupt-every-nth.js', '--help'], { cwd: ROOT });
  assert.equal(code, 0);
  assert.match(stdout, /corrupt-every-nth/);
  assert.match(stdout, /--behavior-corrupt-every-nth-nth/);
});

test('a config file `callable` loads a hook-style plugin relative to the config file, under the section name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'chaos'));
  copyFileSync(join(FIXTURES, 'tag-hooks.js'), join(dir, 'chaos', 'mine.js'));
  const echo = await startEchoServer(t);
  writeFileSync(
    join(dir, 'vaurien.ini'),
    ['[vaurien]', `backend = ${echo.address}`, 'proxy = 127.0.0.1:0', 'behavior = 100:mine', '', '[behavior:mine]', 'callable = ./chaos/mine.js', 'tag = "<<"', ''].join('\n'),
  );
  // Started from another folder: the path is relative to the config file.
  const vaurien = await startVaurien(t, ['--config', join(dir, 'vaurien.ini')], { cwd: tmpdir() });
  assert.equal(await tcpExchange(bannerPort(vaurien.banner), 'hi\n'), '<<hi\n');
});

test('--behavior package#export loads a plugin from node_modules', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-package-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pack = join(dir, 'node_modules', 'chaos-pack');
  mkdirSync(pack, { recursive: true });
  writeFileSync(join(pack, 'package.json'), JSON.stringify({ name: 'chaos-pack', type: 'module', exports: './index.js' }));
  writeFileSync(
    join(pack, 'index.js'),
    "export const bracket = { name: 'bracket', options: {}, onBeforeHandle: (m, { toBackend }) => toBackend || Buffer.concat([Buffer.from('['), m.bytes, Buffer.from(']')]) };\n",
  );
  symlinkSync(join(ROOT, 'node_modules', 'rxjs'), join(dir, 'node_modules', 'rxjs'), 'dir');
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', 'chaos-pack#bracket'], { cwd: dir });
  assert.equal(await tcpExchange(bannerPort(vaurien.banner), 'x'), '[x]');
});

test('--behavior 100:my-chaos loads an installed package named without #export (its default plugin)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-package-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pack = join(dir, 'node_modules', 'my-chaos');
  mkdirSync(pack, { recursive: true });
  writeFileSync(join(pack, 'package.json'), JSON.stringify({ name: 'my-chaos', type: 'module', exports: './index.js' }));
  writeFileSync(join(pack, 'index.js'), "export default { name: 'my-chaos', options: {}, onBeforeHandle: (m, { toBackend }) => toBackend || Buffer.concat([m.bytes, m.bytes]) };\n");
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--behavior', '100:my-chaos'], { cwd: dir });
  assert.match(vaurien.banner, /behavior my-chaos/);
  assert.equal(await tcpExchange(bannerPort(vaurien.banner), 'ab'), 'abab');
});

test('--protocol ./file.js loads a protocol plugin; its options get --protocol-NAME-OPTION flags', async (t) => {
  const backend = await startTcpServer(t, (socket) => socket.on('data', (data: Buffer) => socket.write(`OK ${data}`)));
  const vaurien = await startVaurien(
    t,
    ['--proxy', '127.0.0.1:0', '--backend', backend.address, '--protocol', './examples/line-protocol.js', '--protocol-line-max-line', '64', '--behavior', 'error'],
    { cwd: ROOT },
  );
  assert.match(vaurien.banner, /protocol line/);
  assert.equal(await tcpExchange(bannerPort(vaurien.banner), 'PING\n'), 'ERR PING unavailable\n');
});
