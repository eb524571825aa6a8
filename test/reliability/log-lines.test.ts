// A log line is one line of text whatever a client sends: escape (0x1b), CR, LF and the other
// control bytes in client-supplied values are written escaped, so nobody can forge log lines or
// drive the terminal of whoever reads the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../lib/log.js';
import { startVaurien } from '../helpers/cli.js';
import { bannerApiPort } from '../helpers/control-api.js';
import { startEchoServer } from '../helpers/sockets.js';
import { call } from '../api/harness.js';

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(critical|error|warning|info|debug)\] [^\r\x1b]*$/;
const FORGED = '\x1b[2J\x1b[31mred\r\n2020-01-01T00:00:00.000Z [critical] forged line\u009b0m';

function logLines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text.slice(0, -1).split('\n');
}

test('the logger writes control bytes escaped: one message, one line', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'vaurien-log-')), 'vaurien.log');
  const log = createLogger('debug', file);
  log.warning(`client said ${FORGED}`);
  log.info('tabs\tstay, and so does ünïcode');
  await log.close();
  const lines = logLines(file);
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.match(line, LINE);
  assert.ok(lines[0]?.endsWith('client said \\x1b[2J\\x1b[31mred\\r\\n2020-01-01T00:00:00.000Z [critical] forged line\\x9b0m'), lines[0]);
  assert.ok(lines[1]?.endsWith('tabs\tstay, and so does ünïcode'), lines[1]);
});

test('values a client puts in control-API requests reach the log escaped (debug level, real process)', async (t) => {
  const echo = await startEchoServer(t);
  const file = join(mkdtempSync(join(tmpdir(), 'vaurien-log-')), 'vaurien.log');
  const vaurien = await startVaurien(t, [
    '--proxy', '127.0.0.1:0', '--backend', echo.address, '--log-level', 'debug', '--log-output', file,
    '--http', '--http-host', '127.0.0.1', '--http-port', '0',
  ]);
  const base = `http://127.0.0.1:${bannerApiPort(vaurien.banner)}`;
  assert.equal((await call(base, 'PUT', '/behavior', { name: FORGED })).status, 400);
  assert.equal((await call(base, 'PUT', '/behavior', { behavior: `10:delay,5:${FORGED}` })).status, 400);
  assert.equal((await call(base, 'PUT', '/backend', { backend: FORGED })).status, 400);
  assert.equal((await call(base, 'GET', `/behaviors/${encodeURIComponent(FORGED)}`)).status, 404);
  assert.equal(await vaurien.stop(), 0);
  const lines = logLines(file);
  for (const line of lines) assert.match(line, LINE, `a forged or broken log line: ${JSON.stringify(line)}`);
  assert.ok(!lines.some((line) => line.startsWith('2020-')), 'a client forged a log line');
  assert.ok(lines.some((line) => line.includes('\\x1b[2J')), `the refused values are not in the log:\n${lines.join('\n')}`);
});
