// Start-up mistakes that used to start a proxy anyway (a default one, or one that loses its log)
// or to take the proxy's time: each is one line on stderr, exit status 2, nothing on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVaurien } from '../helpers/cli.js';

async function assertUsageError(args: readonly string[], expected: RegExp): Promise<void> {
  const { code, stderr, stdout } = await runVaurien([...args, '--proxy', '127.0.0.1:0']);
  assert.equal(code, 2, `exit code; stderr: ${stderr}`);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0] as string, /^vaurien: /);
  assert.match(lines[0] as string, expected);
  assert.doesNotMatch(stderr, /\n\s+at /, 'a stack trace was printed');
  assert.equal(stdout, '', 'the proxy started');
}

const configFiles: Array<[string, string, RegExp]> = [
  ['empty', '', /empty\.ini: the file is empty \(expected a \[vaurien\] section\)/],
  ['comments and blank lines only', '; nothing here\n\n# still nothing\n   \n', /comments-and-blank-lines-only\.ini: the file is empty/],
  ['section-less', 'backend = localhost:6379\nbehavior = 20:delay\n', /section-less\.ini: line 1: a key outside any section \(put it under \[vaurien\]\)/],
  ['without [vaurien]', '[behavior:delay]\nsleep = 1\n', /without-\[vaurien\]\.ini: no \[vaurien\] section/],
  ['an unclosed section header', '[vaurien\nbackend = localhost:6379\n', /an-unclosed-section-header\.ini: line 1 cannot be parsed/],
  ['JSON, not INI', '{"vaurien": {"backend": "localhost:6379"}}\n', /JSON,-not-INI\.ini: line 1 cannot be parsed/],
  ['a broken line in [vaurien]', '[vaurien]\nbackend = localhost:6379\n"proxy": "localhost:8001",\n', /a-broken-line-in-\[vaurien\]\.ini: line 3 cannot be parsed/],
  ['binary', '\x00\x01\x02\xff\xfe', /binary\.ini: line 1 cannot be parsed/],
];

for (const [what, content, expected] of configFiles) {
  test(`a config file that is ${what} is a start-up error (exit 2, one line), not a default proxy`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vaurien-config-'));
    const file = join(dir, `${what.replaceAll(' ', '-')}.ini`);
    writeFileSync(file, Buffer.from(content, 'latin1'));
    await assertUsageError(['--config', file], expected);
  });
}

test('a --log-output that cannot be opened is a start-up error (exit 2, one line), before the start line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-log-'));
  mkdirSync(join(dir, 'a-directory'));
  await assertUsageError(['--log-output', join(dir, 'no', 'such', 'dir', 'vaurien.log')], /--log-output .*vaurien\.log: cannot open it for writing \(ENOENT\)/);
  await assertUsageError(['--log-output', join(dir, 'a-directory')], /--log-output .*a-directory: cannot open it for writing \(EISDIR\)/);
  // The same with the control API and with workers: nothing starts.
  await assertUsageError(['--log-output', join(dir, 'a-directory'), '--http', '--http-port', '0'], /cannot open it for writing \(EISDIR\)/);
  await assertUsageError(['--log-output', join(dir, 'a-directory'), '--workers', '2'], /cannot open it for writing \(EISDIR\)/);
});

test('--behavior with more than 100 entries is a one-line usage error saying the limit', async () => {
  const spec = Array.from({ length: 101 }, (_, n) => `0.5:b${n}`).join(',');
  await assertUsageError(['--behavior', spec], /^vaurien: --behavior: a weighted set has at most 100 entries, got 101$/);
});

test('--backend with port 0 is a one-line usage error (nothing listens on port 0)', async () => {
  await assertUsageError(['--backend', 'localhost:0'], /^vaurien: --backend: port must be 1-65535, got "0"$/);
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-config-'));
  const file = join(dir, 'vaurien.ini');
  writeFileSync(file, '[vaurien]\nbackend = 127.0.0.1:0\n');
  await assertUsageError(['--config', file], /vaurien\.ini: \[vaurien\] backend: port must be 1-65535, got "0"$/);
});
