// The framers at a protocol's switch to TLS, when vaurien terminates it: the switch's message is
// the last of its side, the bytes read past it are handed over exactly (whatever the chunking),
// and framing goes on over the decrypted streams with the login as handshake and queries as
// exchanges. When the switch is not terminated, the rest still passes raw, as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Direction, Message } from '../../lib/contract/message.js';
import type { ExchangeOpening, ForwardedRequest, FramerContext, FramerPair, ProtocolDefinition, TlsSwitch } from '../../lib/contract/protocol.js';
import type { OptionValues } from '../../lib/contract/options.js';
import { silentLogger } from '../../lib/log.js';
import { mysql } from '../../plugins/protocols/mysql.js';
import { postgres } from '../../plugins/protocols/postgres.js';
import { smtp } from '../../plugins/protocols/smtp.js';
import { splitAt } from '../helpers/framing.js';

/** A connection's framers driven by hand: exchanges numbered, requests "forwarded", switches recorded. */
class SwitchHarness {
  readonly switches: TlsSwitch[] = [];
  readonly handshakes = new Set<number>();
  readonly framers: FramerPair;
  private readonly forwarded: ForwardedRequest[] = [];
  private opened = 0;

  constructor(protocol: ProtocolDefinition, terminates: boolean) {
    const options: OptionValues = Object.fromEntries(Object.entries(protocol.options).map(([name, spec]) => [name, spec.default]));
    const context: FramerContext = {
      openExchange: (opening?: ExchangeOpening) => {
        this.opened++;
        if (opening?.handshake === true) this.handshakes.add(this.opened);
        return this.opened;
      },
      nextForwarded: () => this.forwarded.shift(),
      latestExchange: 0,
      log: silentLogger,
      startTls: (tlsSwitch) => {
        this.switches.push(tlsSwitch);
        return terminates;
      },
    };
    this.framers = protocol.createFramers(options, context);
  }

  /**
   * Pushes `bytes` cut at `cuts` into `direction`'s framer, as the engine does: once the framer
   * hands over a switch, the chunks after it go to TLS too. Returns the messages and those bytes.
   */
  push(direction: Direction, bytes: Buffer, cuts: readonly number[] = []): { messages: Message[]; toTls: Buffer } {
    const messages: Message[] = [];
    const toTls: Buffer[] = [];
    const before = this.switches.length;
    for (const chunk of splitAt(bytes, cuts)) {
      if (this.switches.length > before) {
        toTls.push(chunk);
        continue;
      }
      for (const message of this.framers[direction].push(chunk)) {
        messages.push(message);
        if (direction === 'request' && message.first && message.exchange !== 0 && message.noReply !== true) this.forwarded.push({ exchange: message.exchange, info: message.info });
      }
    }
    const handed = this.switches.slice(before).flatMap((tlsSwitch) => [...tlsSwitch.rest]);
    return { messages, toTls: Buffer.concat([...handed, ...toTls]) };
  }
}

const bytesOf = (messages: readonly Message[]): Buffer => Buffer.concat(messages.map((message) => message.bytes));
const stamps = (messages: readonly Message[]): Array<[number, boolean, boolean]> => messages.map((m) => [m.exchange, m.first, m.last]);

// ---- MySQL ------------------------------------------------------------------------------------

const CAPS = 0x200 | 0x8000 | 0x80000 | 0x2000 | 0x1000000; // PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, TRANSACTIONS, DEPRECATE_EOF
const CLIENT_SSL = 0x800;

function packet(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, payload]);
}

function greeting(): Buffer {
  const caps = CAPS | CLIENT_SSL;
  const payload = Buffer.concat([
    Buffer.from([0x0a]),
    Buffer.from('10.11.19-MariaDB\0'),
    Buffer.alloc(4),
    Buffer.from('abcdefgh\0'),
    Buffer.from([caps & 0xff, (caps >> 8) & 0xff, 0x21, 2, 0, (caps >> 16) & 0xff, (caps >>> 24) & 0xff, 21]),
    Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\0mysql_native_password\0'),
  ]);
  return packet(0, payload);
}

/** The first 32 bytes of a HandshakeResponse: an SSL request when CLIENT_SSL is set. */
function capabilitiesBlock(caps: number): Buffer {
  const block = Buffer.alloc(32);
  block.writeUInt32LE(caps >>> 0, 0);
  block.writeUInt32LE(0x1000000, 4);
  block[8] = 0x21;
  return block;
}

const handshakeResponse = (sequence: number): Buffer =>
  packet(sequence, Buffer.concat([capabilitiesBlock(CAPS | CLIENT_SSL), Buffer.from('vaurien\0'), Buffer.from([20]), Buffer.alloc(20, 0x5a), Buffer.from('mysql_native_password\0')]));
const ok = (sequence: number): Buffer => packet(sequence, Buffer.from([0, 0, 0, 2, 0, 0, 0]));

test('mysql: an SSL request and the TLS bytes after it, cut anywhere: the request is a handshake step without answer, the TLS bytes are handed over whole', () => {
  const sslRequest = packet(1, capabilitiesBlock(CAPS | CLIENT_SSL));
  const clientHello = randomBytes(300);
  const wire = Buffer.concat([sslRequest, clientHello]);
  for (let cut = 1; cut < wire.length; cut += 7) {
    const harness = new SwitchHarness(mysql, true);
    harness.push('response', greeting());
    const { messages, toTls } = harness.push('request', wire, [cut, cut + 5]);
    assert.ok(bytesOf(messages).equals(sslRequest), `cut at ${cut}: the request's bytes`);
    assert.ok(toTls.equals(clientHello), `cut at ${cut}: the bytes past the request`);
    assert.deepEqual(harness.switches.map(({ direction, exchange }) => [direction, exchange]), [['request', 2]]);
    assert.deepEqual([messages.at(-1)?.last, messages[0]?.noReply, messages[0]?.info?.['command']], [true, true, 'SSL_REQUEST']);
    assert.ok(harness.handshakes.has(2));
  }
});

test('mysql: after the switch, the HandshakeResponse over TLS is the login (its answer follows it) and commands are exchanges', () => {
  const harness = new SwitchHarness(mysql, true);
  harness.push('response', greeting());
  harness.push('request', packet(1, capabilitiesBlock(CAPS | CLIENT_SSL)));
  const login = harness.push('request', handshakeResponse(2)).messages;
  assert.deepEqual(stamps(login), [[3, true, true]]);
  assert.deepEqual(login[0]?.info, { command: 'HANDSHAKE_RESPONSE', sequence: 2 });
  assert.deepEqual(stamps(harness.push('response', ok(3)).messages), [[3, true, true]]);
  const query = harness.push('request', packet(0, Buffer.from('\x03SELECT 1'))).messages;
  assert.deepEqual([stamps(query), query[0]?.info?.['command']], [[[4, true, true]], 'COM_QUERY']);
  assert.deepEqual(stamps(harness.push('response', ok(1)).messages), [[4, true, true]]);
  assert.deepEqual([...harness.handshakes], [1, 2, 3], 'the greeting, the SSL request and the login; not the query');
  assert.equal(harness.switches.length, 1);
});

test('mysql: a switch the engine does not terminate passes the rest through raw, as before', () => {
  const harness = new SwitchHarness(mysql, false);
  harness.push('response', greeting());
  const clientHello = randomBytes(100);
  const { messages } = harness.push('request', Buffer.concat([packet(1, capabilitiesBlock(CAPS | CLIENT_SSL)), clientHello]));
  assert.deepEqual(stamps(messages), [[2, true, true], [0, true, true]]);
  assert.ok(messages[1]?.bytes.equals(clientHello));
  assert.ok(harness.push('response', randomBytes(50)).messages.every((message) => message.exchange === 0));
});

// ---- PostgreSQL -------------------------------------------------------------------------------

const int32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value);
  return out;
};
const untyped = (...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length + 4), body]);
};
const typed = (type: string, ...parts: Buffer[]): Buffer => Buffer.concat([Buffer.from(type), untyped(...parts)]);
const sslRequest = untyped(int32(80877103));
const startup = untyped(int32(196608), Buffer.from('user\0vaurien\0database\0chaos\0\0'));
const loggedIn = Buffer.concat([typed('R', int32(0)), typed('S', Buffer.from('server_version\x0015\0')), typed('K', int32(1), int32(2)), typed('Z', Buffer.from('I'))]);

test('postgres: an S and what follows it, cut anywhere: the S answers the SSLRequest, the rest is handed over; the start-up and queries go on over TLS', () => {
  const after = randomBytes(64);
  const wire = Buffer.concat([Buffer.from('S'), after]);
  for (let cut = 1; cut < wire.length; cut += 5) {
    const harness = new SwitchHarness(postgres, true);
    assert.deepEqual(stamps(harness.push('request', sslRequest).messages), [[1, true, true]]);
    const { messages, toTls } = harness.push('response', wire, [cut]);
    assert.deepEqual([stamps(messages), bytesOf(messages).toString()], [[[1, true, true]], 'S']);
    assert.ok(toTls.equals(after), `cut at ${cut}: the bytes past the S`);
    assert.deepEqual(harness.switches.map(({ direction, exchange }) => [direction, exchange]), [['response', 1]]);
  }
  const harness = new SwitchHarness(postgres, true);
  harness.push('request', sslRequest);
  harness.push('response', Buffer.from('S'));
  const login = harness.push('request', startup).messages;
  assert.deepEqual([stamps(login), login[0]?.info?.['command']], [[[2, true, true]], 'StartupMessage']);
  assert.deepEqual(stamps(harness.push('response', loggedIn).messages).at(-1), [2, false, true]);
  const query = harness.push('request', typed('Q', Buffer.from('SELECT 1\0'))).messages;
  assert.deepEqual([stamps(query), query[0]?.info?.['command']], [[[3, true, true]], 'Q']);
  assert.deepEqual([...harness.handshakes], [1, 2]);
});

test('postgres: an S the engine does not terminate passes the rest through raw, as before', () => {
  const harness = new SwitchHarness(postgres, false);
  harness.push('request', sslRequest);
  const { messages } = harness.push('response', Buffer.from('S'));
  assert.deepEqual(stamps(messages), [[1, true, true]]);
  assert.ok(harness.push('request', randomBytes(40)).messages.every((message) => message.exchange === 0));
});

// ---- SMTP -------------------------------------------------------------------------------------

test('smtp: a 220 to STARTTLS and what follows it, cut anywhere: the rest is handed over, and the new EHLO and mail commands are framed over TLS', () => {
  const after = randomBytes(40);
  const wire = Buffer.concat([Buffer.from('220 2.0.0 Ready to start TLS\r\n'), after]);
  for (let cut = 1; cut < wire.length; cut += 3) {
    const harness = new SwitchHarness(smtp, true);
    harness.push('response', Buffer.from('220 mx.test ESMTP\r\n'));
    harness.push('request', Buffer.from('EHLO client.test\r\n'));
    harness.push('response', Buffer.from('250-mx.test\r\n250 STARTTLS\r\n'));
    harness.push('request', Buffer.from('STARTTLS\r\n'));
    const { messages, toTls } = harness.push('response', wire, [cut]);
    assert.deepEqual(stamps(messages).at(-1), [3, !messages.slice(0, -1).some((m) => m.exchange === 3), true]);
    assert.equal(bytesOf(messages).toString(), '220 2.0.0 Ready to start TLS\r\n');
    assert.ok(toTls.equals(after), `cut at ${cut}: the bytes past the 220`);
    const ehlo = harness.push('request', Buffer.from('EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n')).messages;
    assert.deepEqual(stamps(ehlo), [[4, true, true], [5, true, true]]);
    assert.deepEqual([...harness.handshakes], [1, 2, 3, 4], 'the greeting, EHLO, STARTTLS and the new EHLO; not MAIL');
  }
});
