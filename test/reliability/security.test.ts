// The control API's safety: it listens on localhost unless told otherwise, and says so loudly
// when it listens elsewhere without a token; request bodies are bounded (the process does not
// grow with them); a token, right or wrong, never shows in an answer or in the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVaurien, type RunningVaurien } from '../helpers/cli.js';
import { MiB, rssBytes, watchRss } from '../helpers/process-stats.js';
import { rawCall, startEchoServer } from '../helpers/sockets.js';

const TOKEN = 's3cret-T0KEN-4242';
const EXPOSED = /the control API listens on 0\.0\.0\.0 without --http-token: anyone who can reach it can steer the proxy/;

function apiPortOf(vaurien: RunningVaurien): { host: string; port: number } {
  const match = /control API on http:\/\/(\[[^\]]+\]|[^:]+):(\d+)/.exec(vaurien.banner);
  assert.ok(match !== null, `no control API in "${vaurien.banner}"`);
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

test('the control API listens on localhost by default, without a warning', async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--http', '--http-port', '0']);
  const { host } = apiPortOf(vaurien);
  assert.match(host, /^(127\.\d+\.\d+\.\d+|::1)$/, `the API listens on ${host}`);
  assert.doesNotMatch(vaurien.stderr(), /without --http-token/);
});

test('listening elsewhere without a token warns at start; with --http-token or VAURIEN_HTTP_TOKEN it does not', async (t) => {
  const echo = await startEchoServer(t);
  const common = ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--http', '--http-host', '0.0.0.0', '--http-port', '0'];
  const exposed = await startVaurien(t, common);
  // The warning goes to stderr, the banner to stdout: give stderr a moment to be read.
  for (let tries = 0; !EXPOSED.test(exposed.stderr()) && tries < 50; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(exposed.stderr(), EXPOSED);
  assert.equal(await exposed.stop(), 0);
  const withFlag = await startVaurien(t, [...common, '--http-token', TOKEN]);
  const withEnv = await startVaurien(t, common, { env: { VAURIEN_HTTP_TOKEN: TOKEN } });
  for (const vaurien of [withFlag, withEnv]) {
    assert.doesNotMatch(vaurien.stderr(), /without --http-token/);
    assert.equal(apiPortOf(vaurien).host, '0.0.0.0');
    // And the token is required (asked over loopback: this test sends nothing anywhere else).
    assert.match(await rawCall(apiPortOf(vaurien).port, 'GET /behavior HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 401 /);
    assert.doesNotMatch(vaurien.stderr() + vaurien.stdout(), new RegExp(TOKEN), 'the token was printed');
  }
});

test('a streamed 256 MB body gets 413 after 1 MiB, and the process does not grow with it', { timeout: 30_000 }, async (t) => {
  const echo = await startEchoServer(t);
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', echo.address, '--http', '--http-host', '127.0.0.1', '--http-port', '0']);
  const pid = vaurien.child.pid as number;
  const idle = rssBytes(pid);
  const rss = watchRss(pid);
  const { answer, sent } = await new Promise<{ answer: string; sent: number }>((resolve) => {
    const socket = connect({ port: apiPortOf(vaurien).port, host: '127.0.0.1' }, () => {
      socket.write('PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.from(`10000\r\n${' '.repeat(0x10000)}\r\n`);
      const pump = (): void => {
        while (written < 256 * MiB && !socket.destroyed) {
          written += 0x10000;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    let written = 0;
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.on('close', () => resolve({ answer: text, sent: written }));
    socket.on('error', () => {});
  });
  const growth = rss.stop() - idle;
  t.diagnostic(`${(sent / MiB).toFixed(1)} MB sent before the API closed; RSS +${(growth / MiB).toFixed(1)} MB`);
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.ok(sent < 64 * MiB, `the API read ${(sent / MiB).toFixed(1)} MB before refusing`);
  assert.ok(growth < 32 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MB`);
});

test('a token, right or wrong, never appears in an answer or in the log (debug level)', async (t) => {
  const echo = await startEchoServer(t);
  const logFile = join(mkdtempSync(join(tmpdir(), 'vaurien-secret-')), 'vaurien.log');
  const vaurien = await startVaurien(t, [
    '--proxy', '127.0.0.1:0', '--backend', echo.address, '--log-level', 'debug', '--log-output', logFile,
    '--http', '--http-host', '127.0.0.1', '--http-port', '0', '--http-token', TOKEN,
  ]);
  const { port } = apiPortOf(vaurien);
  const good = `Authorization: Bearer ${TOKEN}\r\n`;
  const put = (headers: string, body: string): string =>
    `PUT /behavior HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  const requests: Array<[string, RegExp]> = [
    [`GET /behavior HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}x\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 401 /],
    [`GET /behavior HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN.slice(0, -1)}\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 401 /],
    [`GET /behavior HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${TOKEN}\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 401 /],
    [`GET /behavior?token=${TOKEN} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, /^HTTP\/1\.1 401 /],
    [put('', `{"token": "${TOKEN}"}`), /^HTTP\/1\.1 401 /],
    [put(good, `Bearer ${TOKEN}`), /^HTTP\/1\.1 400 [^]*invalid JSON/],
    [put(good, `{"name": "delay", "sleep": "${TOKEN}"`), /^HTTP\/1\.1 400 [^]*invalid JSON/],
    [`GET /behavior?token=${TOKEN} HTTP/1.1\r\nHost: localhost\r\n${good}Connection: close\r\n\r\n`, /^HTTP\/1\.1 200 /],
  ];
  for (const [request, expected] of requests) {
    const answer = await rawCall(port, request);
    assert.match(answer, expected, JSON.stringify(request.slice(0, 80)));
    assert.ok(!answer.includes(TOKEN), `the answer to ${JSON.stringify(request.slice(0, 80))} shows the token:\n${answer}`);
  }
  assert.equal(await vaurien.stop(), 0);
  const log = readFileSync(logFile, 'utf8');
  assert.match(log, /control API: PUT \/behavior -> 400 invalid JSON/, 'the log does not show the requests');
  assert.ok(!log.includes(TOKEN), `the log shows the token:\n${log}`);
  assert.ok(!vaurien.stderr().includes(TOKEN) && !vaurien.stdout().includes(TOKEN));
});
