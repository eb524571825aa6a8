// Runs the examples/ a user copies from the README, so they cannot rot: the node:test example
// files as a user would run them (`node --test`, importing the built package by name), and each
// plugin example loaded into a proxy and checked against real traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { loadBehaviorPlugin, loadProtocolPlugin } from '../../lib/registry/load-plugin.js';
import { startTestProxy } from '../helpers/proxy.js';
import { rawClient, startEchoServer, startTcpServer } from '../helpers/sockets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');

function runNodeTest(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // As a user runs it: not as a subprocess of this test run (NODE_TEST_CONTEXT would say so).
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not finish within 60 s:\n${output}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

for (const file of readdirSync(EXAMPLES).filter((name) => name.endsWith('.test.js'))) {
  test(`examples/${file} passes when run with node --test`, async () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'lib', 'index.js')), 'dist/ is missing: run `npm run build` first (npm test does)');
    const { code, output } = await runNodeTest(join('examples', file));
    assert.equal(code, 0, output);
    assert.match(output, /^# fail 0$/m, output);
    const passed = Number(/^# pass (\d+)$/m.exec(output)?.[1] ?? 0);
    assert.ok(passed >= 2, `only ${passed} tests passed:\n${output}`);
  });
}

/** One tcp exchange on a fresh connection: what comes back for `payload`. */
function tcpExchange(port: number, payload: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    let received = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      if (received.length >= payload.length) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
  });
}

test('examples/corrupt-every-nth.js corrupts the start of every nth answer and nothing else', async (t) => {
  assert.equal(await loadBehaviorPlugin('./examples/corrupt-every-nth.js', ROOT), 'corrupt-every-nth');
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'corrupt-every-nth', behaviorOptions: { 'corrupt-every-nth': { nth: 3 } } });
  const outcomes: string[] = [];
  for (let i = 1; i <= 9; i++) {
    const payload = `exchange ${i} of nine`;
    const back = await tcpExchange(port, payload);
    assert.equal(back.length, payload.length, 'the length is kept');
    assert.equal(back.subarray(8).toString(), payload.slice(8), 'only the first 8 bytes change');
    outcomes.push(back.toString() === payload ? 'intact' : 'corrupted');
  }
  assert.deepEqual(outcomes, ['intact', 'intact', 'corrupted', 'intact', 'intact', 'corrupted', 'intact', 'intact', 'corrupted']);
});

test('examples/error-after-login.js lets each connection\'s first exchanges through, then errors every later one', async (t) => {
  assert.equal(await loadBehaviorPlugin('./examples/error-after-login.js', ROOT), 'error-after-login');
  const echo = await startEchoServer(t);
  const { port } = await startTestProxy(t, { backend: echo.address, behavior: 'error-after-login', behaviorOptions: { 'error-after-login': { after: 2 } } });
  const first = await rawClient(t, port);
  for (const [word, total] of [['one', 3], ['two', 6]] as const) {
    first.socket.write(word);
    assert.equal((await first.waitFor(total)).toString(), 'onetwo'.slice(0, total), `${word} went through`);
  }
  first.socket.write('three');
  const answer = (await first.waitFor(6 + 1000)).subarray(6);
  assert.equal(answer.length, 1000, 'the third exchange got tcp\'s error (1000 random bytes), not its echo');
  assert.notEqual(answer.subarray(0, 5).toString(), 'three');
  const second = await rawClient(t, port);
  second.socket.write('one');
  assert.equal((await second.waitFor(3)).toString(), 'one', 'a new connection starts counting again');
});

test('examples/refuse-writes.js answers HTTP writes with a 50x the backend never sees, and lets reads through', async (t) => {
  assert.equal(await loadBehaviorPlugin('./examples/refuse-writes.js', ROOT), 'refuse-writes');
  const seen: string[] = [];
  const backend = createServer((incoming, response) => {
    seen.push(`${incoming.method} ${incoming.url}`);
    incoming.resume();
    incoming.on('end', () => response.end('stored'));
  }).listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.after(() => new Promise((resolve) => backend.close(resolve)));
  const { port } = await startTestProxy(t, {
    backend: `127.0.0.1:${(backend.address() as AddressInfo).port}`,
    protocol: 'http',
    behavior: 'refuse-writes',
  });
  const read = await request(`http://127.0.0.1:${port}/item`);
  assert.equal(read.statusCode, 200);
  assert.equal(await read.body.text(), 'stored');
  const write = await request(`http://127.0.0.1:${port}/item`, { method: 'POST', body: 'x'.repeat(100_000) });
  assert.ok([501, 502, 503].includes(write.statusCode), `status ${write.statusCode}`);
  await write.body.text();
  assert.deepEqual(seen, ['GET /item']);
});

test('examples/line-protocol.js frames lines, answers errors in order, and injects into replies', async (t) => {
  assert.equal(await loadProtocolPlugin('./examples/line-protocol.js', ROOT), 'line');
  const backend = await startTcpServer(t, (socket) => {
    let pending = '';
    socket.on('data', (data: Buffer) => {
      pending += data.toString();
      for (let at = pending.indexOf('\n'); at !== -1; at = pending.indexOf('\n')) {
        socket.write(`OK ${pending.slice(0, at)}\n`);
        pending = pending.slice(at + 1);
      }
    });
  });
  const { port, proxy } = await startTestProxy(t, { backend: backend.address, protocol: 'line' });
  const talk = (text: string, expectedLines: number): Promise<string> =>
    new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(text));
      let got = '';
      socket.on('data', (data: Buffer) => {
        got += data.toString('latin1');
        if (got.split('\n').length > expectedLines) {
          socket.destroy();
          resolve(got);
        }
      });
    });
  assert.equal(await talk('GET a\nSET b 1\n', 2), 'OK GET a\nOK SET b 1\n');
  proxy.setBehavior('error');
  assert.equal(await talk('GET a\nSET b 1\n', 2), 'ERR GET unavailable\nERR SET unavailable\n');
  proxy.setBehavior('error', { error: { inject: true } });
  const injected = await talk('GET a\n', 1);
  assert.equal(injected.length, 'OK GET a\n'.length + 4);
  assert.ok(injected.endsWith('OK GET a\n'));
});

test('the README shows the examples exactly as they are in examples/', (t) => {
  const readme = existsSync(join(ROOT, 'README.md')) ? readFileSync(join(ROOT, 'README.md'), 'utf8') : '';
  const marked = [...readme.matchAll(/<!-- example: (\S+) -->\s*```[a-z]*\n([\s\S]*?)```/g)];
  if (marked.length === 0) {
    t.skip('README.md has no <!-- example: FILE --> markers yet');
    return;
  }
  for (const [, file, block] of marked) {
    assert.equal(block, readFileSync(join(ROOT, file as string), 'utf8'), `README block for ${file} differs from the file`);
  }
});

test('every HTML comment in the README is closed and none is nested, so none shows up as text', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  // Outside code, `<!--` opens a comment and the first `-->` after it closes it.
  const prose = readme.replace(/```[\s\S]*?```/g, '');
  let rest = prose;
  for (let open = rest.indexOf('<!--'); open !== -1; open = rest.indexOf('<!--')) {
    const before = rest.slice(0, open);
    assert.ok(!before.includes('-->'), `a stray "-->" shows as text near: ${JSON.stringify(before.slice(before.indexOf('-->') - 60, before.indexOf('-->') + 3))}`);
    const close = rest.indexOf('-->', open + 4);
    assert.notEqual(close, -1, `an unclosed comment near: ${JSON.stringify(rest.slice(open, open + 80))}`);
    const body = rest.slice(open + 4, close);
    assert.ok(!body.includes('<!--'), `a comment inside a comment near: ${JSON.stringify(rest.slice(open, open + 80))}`);
    rest = rest.slice(close + 3);
  }
  assert.ok(!rest.includes('-->'), 'a stray "-->" after the last comment');
});
