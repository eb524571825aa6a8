// The config file: the documentation's INI example means what its command line means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../lib/config/ini-file.js';
import { resolveSettings, type CommandLineValues } from '../../lib/cli/settings.js';
import '../../plugins/index.js';

const none: CommandLineValues = { core: {}, behaviors: {}, protocols: {} };

test("the documentation's INI example gives the same settings as its command line", () => {
  const fromFile = resolveSettings(
    none,
    parseConfig(['[vaurien]', 'backend = google.com:80', 'proxy = localhost:8000', 'protocol = http', 'behavior = 20:delay', '', '[behavior:delay]', 'sleep = 2', ''].join('\n'), 'doc.ini'),
  );
  const fromFlags = resolveSettings(
    {
      core: {
        protocol: { value: 'http', where: '--protocol' },
        proxy: { value: 'localhost:8000', where: '--proxy' },
        backend: { value: 'google.com:80', where: '--backend' },
        behavior: { value: '20:delay', where: '--behavior' },
      },
      behaviors: { delay: { sleep: { value: '2', where: '--behavior-delay-sleep' } } },
      protocols: {},
    },
    undefined,
  );
  assert.deepEqual(fromFile, fromFlags);
  assert.deepEqual(fromFile.behaviorOptions, { delay: { sleep: 2 } });
  assert.equal(fromFile.protocol, 'http');
  assert.deepEqual(fromFile.backend, { host: 'google.com', port: 80 });
});

test('values convert: integers, booleans, quoted strings, ${ENV}, lists from continuation lines', () => {
  process.env['VAURIEN_TEST_PORT'] = '6379';
  const config = parseConfig(
    [
      '[vaurien]',
      'backend = localhost:${VAURIEN_TEST_PORT}',
      'proxy = "localhost:8001"',
      'http = true',
      'http_port = 8081',
      'stay_connected',
      'behavior = 20:delay',
      '    5:error',
      'protocol = redis',
      '',
      '[protocol:redis]',
      'buffer = 4096',
      '',
      '[handler:error]',
      'warmup = 3',
    ].join('\n'),
  );
  const settings = resolveSettings(none, config);
  assert.deepEqual(settings.backend, { host: 'localhost', port: 6379 });
  assert.deepEqual(settings.proxy, { host: 'localhost', port: 8001 });
  assert.equal(settings.http, true);
  assert.equal(settings.httpPort, 8081);
  assert.equal(settings.stayConnected, true);
  assert.equal(settings.behavior, '20:delay,5:error');
  assert.deepEqual(settings.behaviorOptions, { error: { warmup: 3 } });
  assert.deepEqual(settings.protocolOptions, { buffer: 4096 });
  assert.deepEqual(settings.warnings, []);
});

test('`handshake = true` under [protocol:mysql], [protocol:smtp] or [protocol:postgres] is the --protocol-NAME-handshake flag', () => {
  for (const protocol of ['mysql', 'smtp', 'postgres']) {
    const fromFile = resolveSettings(none, parseConfig(`[vaurien]\nprotocol = ${protocol}\n\n[protocol:${protocol}]\nhandshake = true\n`));
    const fromFlags = resolveSettings(
      { core: { protocol: { value: protocol, where: '--protocol' } }, behaviors: {}, protocols: { [protocol]: { handshake: { value: 'true', where: `--protocol-${protocol}-handshake` } } } },
      undefined,
    );
    assert.deepEqual(fromFile.protocolOptions, { handshake: true });
    assert.deepEqual(fromFlags.protocolOptions, fromFile.protocolOptions);
    assert.deepEqual(fromFile.warnings, [], `${protocol} has a handshake option`);
  }
});

test('flags override the file, the file overrides defaults', () => {
  const config = parseConfig('[vaurien]\nbehavior = 20:delay\ntimeout = 10\n\n[behavior:delay]\nsleep = 5\nbefore = false\n');
  const settings = resolveSettings(
    { core: { timeout: { value: '3', where: '--timeout' } }, behaviors: { delay: { sleep: { value: '0.5', where: '--behavior-delay-sleep' } } }, protocols: {} },
    config,
  );
  assert.equal(settings.timeout, 3);
  assert.equal(settings.behavior, '20:delay');
  assert.deepEqual(settings.behaviorOptions, { delay: { sleep: 0.5, before: false } });
  assert.equal(settings.grace, 5, 'default');
});

test('unknown keys and sections are warned about by name, and ignored', () => {
  const config = parseConfig('[vaurien]\ncolour = blue\n\n[behavior:delay]\nslep = 2\n\n[extras]\nx = 1\n\n[behavior:ghost]\na = 1\n', 'my.ini');
  const { warnings } = resolveSettings(none, config);
  assert.ok(warnings.some((warning) => warning.includes('[vaurien] unknown key "colour"')));
  assert.ok(warnings.some((warning) => warning.includes('[behavior:delay] unknown option "slep"')));
  assert.ok(warnings.some((warning) => warning.includes('unknown section [extras]')));
  assert.ok(warnings.some((warning) => warning.includes('[behavior:ghost] names no known behavior')));
});
