// The smtp protocol end to end: nodemailer and raw sockets through the proxy to a real
// smtp-server (and a tiny CHUNKING server for BDAT), checking what the client and the server see.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import { silentLogger, type Logger } from '../../lib/log.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startTcpServer } from '../helpers/sockets.js';
import { smtpWire, startChunkingServer, startRecordingTap, startSmtpServer, type SmtpWire } from '../helpers/smtp-server.js';

const quiet = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function transport(port: number, extra: Record<string, unknown> = {}): Transporter {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 5000, ...extra });
}

const letter = (to: string[] = ['rcpt@example.com'], text = 'Hello through vaurien'): SendMailOptions => ({
  from: 'sender@example.com',
  to,
  subject: 'vaurien test',
  text,
});

interface SmtpFailure {
  responseCode?: number;
  code?: string;
}

/** The responseCode of nodemailer's failure (undefined if it succeeded or failed without one). */
async function failureCode(sending: Promise<unknown>): Promise<number | undefined> {
  try {
    await sending;
  } catch (error) {
    return (error as SmtpFailure).responseCode;
  }
  assert.fail('the message was sent');
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warning: (line) => void warnings.push(line) };
}

/** A ~`size` byte message of CRLF lines, some of them starting with a dot or being a lone dot. */
function bigMessage(size: number): { message: Buffer; wire: Buffer } {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const text = randomBytes(20 + (i % 57)).toString('base64');
    const line = i % 13 === 0 ? `.${text}` : i % 101 === 0 ? '.' : i % 17 === 0 ? '' : text;
    lines.push(line);
    length += line.length + 2;
  }
  const message = Buffer.from(lines.map((line) => `${line}\r\n`).join(''), 'latin1');
  const wire = Buffer.from(`${lines.map((line) => `${line.startsWith('.') ? '.' : ''}${line}\r\n`).join('')}.\r\n`, 'latin1');
  return { message, wire };
}

/** A full session, one command at a time; returns every byte the client received. */
async function scriptedSession(t: TestContext, port: number, body: Buffer): Promise<Buffer> {
  const wire = await smtpWire(t, port);
  assert.match(await wire.reply(), /^220 /);
  assert.match(await wire.command('EHLO client.example'), /^250-/);
  assert.match(await wire.command('MAIL FROM:<sender@example.com>'), /^250 /);
  for (const rcpt of ['a', 'b', 'c']) assert.match(await wire.command(`RCPT TO:<${rcpt}@example.com>`), /^250 /);
  assert.match(await wire.command('DATA'), /^354 /);
  wire.write(body);
  assert.match(await wire.reply(), /^250 /);
  assert.match(await wire.command('QUIT'), /^221 /);
  await wire.closed;
  return wire.received();
}

async function greeted(t: TestContext, port: number): Promise<SmtpWire> {
  const wire = await smtpWire(t, port);
  assert.match(await wire.reply(), /^220 /);
  return wire;
}

// ---- dummy: what goes through is what a direct session gets ----

test('a full session (EHLO, MAIL, 3 RCPT, 5 MB DATA, QUIT) through the proxy is byte-identical to a direct one', async (t) => {
  const server = await startSmtpServer(t);
  const tap = await startRecordingTap(t, server.port);
  const proxy = await startTestProxy(t, { backend: tap.address, protocol: 'smtp' });
  const { message, wire } = bigMessage(5 * 1024 * 1024);

  const direct = await scriptedSession(t, server.port, wire);
  const proxied = await scriptedSession(t, proxy.port, wire);

  assert.equal(proxied.toString('latin1'), direct.toString('latin1'), 'the client got other replies through the proxy');
  const [directMail, proxiedMail] = server.mails;
  assert.equal(server.mails.length, 2);
  assert.equal(sha(proxiedMail?.content ?? Buffer.alloc(0)), sha(message), 'the server decoded another message through the proxy');
  assert.equal(sha(directMail?.content ?? Buffer.alloc(0)), sha(message));
  assert.deepEqual(proxiedMail?.to, ['a@example.com', 'b@example.com', 'c@example.com']);
  const sent = tap.sent();
  const expected = Buffer.concat([
    Buffer.from('EHLO client.example\r\nMAIL FROM:<sender@example.com>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n'),
    wire,
    Buffer.from('QUIT\r\n'),
  ]);
  assert.equal(sent.length, expected.length);
  assert.ok(sent.equals(expected), 'the server was sent other bytes than the client wrote');
});

test('nodemailer delivers a message with three recipients and an attachment through the proxy', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp' });
  const attachment = randomBytes(200_000);
  const info = await transport(proxy.port).sendMail({
    ...letter(['a@example.com', 'b@example.com', 'c@example.com'], '.a line with a leading dot\r\n.\r\nand a lone dot above'),
    attachments: [{ filename: 'blob.bin', content: attachment }],
  });
  assert.deepEqual(info.accepted, ['a@example.com', 'b@example.com', 'c@example.com']);
  assert.equal(server.mails.length, 1);
  const content = server.mails[0]?.content.toString('latin1') ?? '';
  assert.ok(content.includes('.a line with a leading dot\r\n.\r\nand a lone dot above'), 'the dotted lines were altered');
  assert.ok(content.includes(attachment.toString('base64').slice(0, 76)), 'the attachment is missing');
});

test('AUTH PLAIN through the proxy logs in, and a wrong password gets the server\'s 535', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp' });
  await transport(proxy.port, { auth: { user: 'user', pass: 'secret', method: 'PLAIN' } }).sendMail(letter());
  assert.equal(server.mails.length, 1);
  const code = await failureCode(transport(proxy.port, { auth: { user: 'user', pass: 'wrong', method: 'PLAIN' } }).sendMail(letter()));
  assert.equal(code, 535);
});

test('AUTH LOGIN through the proxy: each answer to a 334 is its own exchange, and the session stays in step', async (t) => {
  const server = await startSmtpServer(t);
  const commands: string[] = [];
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp' });
  await transport(proxy.port, { auth: { user: 'user', pass: 'secret', method: 'LOGIN' } }).sendMail(letter());
  assert.equal(server.mails.length, 1);
  assert.equal(await failureCode(transport(proxy.port, { auth: { user: 'user', pass: 'wrong', method: 'LOGIN' } }).sendMail(letter())), 535);

  // Byte for byte against a direct session. `DATA` here answers the 334: the server refuses it
  // as a user name (501) and is back to commands, so the next line is a command (500).
  const run = async (port: number): Promise<string[]> => {
    const wire = await greeted(t, port);
    const replies = [await wire.command('EHLO me'), await wire.command('AUTH LOGIN'), await wire.command('DATA'), await wire.command('c2VjcmV0')];
    replies.push(await wire.command('AUTH LOGIN dXNlcg=='), await wire.command('c2VjcmV0'), await wire.command('NOOP'));
    commands.push(...replies.map((reply) => reply.slice(0, 3)));
    return replies;
  };
  assert.deepEqual(await run(proxy.port), await run(server.port));
  assert.deepEqual(commands.slice(0, 7), ['250', '334', '501', '500', '334', '235', '250']);
});

test('pipelined commands in one write get their replies in order, byte-identical to direct', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp' });
  const run = async (port: number): Promise<string[]> => {
    const wire = await greeted(t, port);
    assert.match(await wire.command('EHLO me'), /PIPELINING/);
    wire.write('MAIL FROM:<s@example.com>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n');
    const replies = [await wire.reply(), await wire.reply(), await wire.reply(), await wire.reply()];
    wire.write('Subject: pipelined\r\n\r\n..dot\r\n.\r\nNOOP\r\nNOOP\r\nQUIT\r\n');
    replies.push(await wire.reply(), await wire.reply(), await wire.reply(), await wire.reply());
    return replies;
  };
  const proxied = await run(proxy.port);
  assert.deepEqual(proxied, await run(server.port));
  assert.deepEqual(
    proxied.map((reply) => reply.slice(0, 3)),
    ['250', '250', '250', '354', '250', '250', '250', '221'],
  );
  assert.equal(server.mails[0]?.content.toString(), 'Subject: pipelined\r\n\r\n.dot\r\n');
});

test('an error on one pipelined command is answered in its turn, between the server\'s replies', async (t) => {
  const server = await startSmtpServer(t);
  // transient with warmup 1, agitate 2: MAIL passes, the first RCPT errors, the rest pass (the
  // greeting and EHLO are the handshake: not drawn, not counted).
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:transient', behaviorOptions: { transient: { warmup: 1, agitate: 2 } } });
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  wire.write('MAIL FROM:<s@example.com>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n');
  const replies = [await wire.reply(), await wire.reply(), await wire.reply(), await wire.reply()];
  assert.deepEqual(
    replies.map((reply) => reply.slice(0, 3)),
    ['250', '451', '250', '354'],
  );
  assert.equal(replies[1], '451 4.3.0 vaurien injected error\r\n');
  wire.write('hi\r\n.\r\n');
  assert.match(await wire.reply(), /^250 /);
  assert.deepEqual(server.mails[0]?.to, ['b@example.com'], 'the server saw the RCPT the proxy answered');
});

test('BDAT chunks with their data are one exchange each: an error on one keeps its bytes from the server', async (t) => {
  const chunky = await startChunkingServer(t);
  // MAIL, RCPT pass; the first BDAT (with its data) errors; the second passes.
  const proxy = await startTestProxy(t, { backend: chunky.address, protocol: 'smtp', behavior: '100:transient', behaviorOptions: { transient: { warmup: 2, agitate: 3 } } });
  const wire = await greeted(t, proxy.port);
  assert.match(await wire.command('EHLO me'), /CHUNKING/);
  const first = 'DATA\r\nQUIT\r\n.\r\n'; // data that reads like commands
  const last = 'RSET\r\n\x00\xff';
  wire.write(Buffer.from(`MAIL FROM:<s@x>\r\nRCPT TO:<r@x>\r\nBDAT ${first.length}\r\n${first}BDAT ${last.length} LAST\r\n${last}`, 'latin1'));
  const replies = [await wire.reply(), await wire.reply(), await wire.reply(), await wire.reply()];
  assert.deepEqual(
    replies.map((reply) => reply.slice(0, 3)),
    ['250', '250', '451', '250'],
  );
  assert.deepEqual(
    chunky.chunks.map((chunk) => chunk.toString('latin1')),
    [last],
  );
  assert.equal(await wire.command('QUIT'), '221 2.0.0 bye\r\n');
});

test('BDAT through the proxy reaches a CHUNKING server byte-exact', async (t) => {
  const chunky = await startChunkingServer(t);
  const proxy = await startTestProxy(t, { backend: chunky.address, protocol: 'smtp' });
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  const data = randomBytes(300_000);
  const request = Buffer.concat([Buffer.from(`MAIL FROM:<s@x>\r\nRCPT TO:<r@x>\r\nBDAT 100000\r\n`), data.subarray(0, 100_000), Buffer.from('BDAT 200000 LAST\r\n'), data.subarray(100_000)]);
  wire.write(request);
  for (let i = 0; i < 4; i++) assert.match(await wire.reply(), /^250 /);
  assert.equal(sha(Buffer.concat(chunky.chunks)), sha(data));
  assert.ok(chunky.sent().subarray(-request.length).equals(request));
});

test('after an accepted STARTTLS the TLS session passes untouched, even with every exchange set to error', async (t) => {
  const server = await startSmtpServer(t, { disabledCommands: [] });
  // The greeting, EHLO and STARTTLS are the handshake and pass; anything framed after them would get a 451.
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error' });
  const info = await transport(proxy.port, { ignoreTLS: false, requireTLS: true, tls: { rejectUnauthorized: false } }).sendMail(letter());
  assert.deepEqual(info.accepted, ['rcpt@example.com']);
  assert.equal(server.mails.length, 1);
  assert.equal(proxy.proxy.stats().faults['error'] ?? 0, 0);
});

test('a server that does not speak SMTP is passed through unchanged, with one warning', async (t) => {
  const log = recordingLogger();
  const backend = await startTcpServer(t, (socket) => {
    socket.write('SSH-2.0-OpenSSH_9.6\r\n');
    socket.on('data', (data: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), data])));
  });
  const proxy = await startTestProxy(t, { backend: backend.address, protocol: 'smtp', log });
  const wire = await smtpWire(t, proxy.port);
  await waitForBytes(wire, 21);
  wire.write('EHLO x\r\n\x00\x01\x02');
  await waitForBytes(wire, 21 + 16);
  assert.equal(wire.received().toString('latin1'), 'SSH-2.0-OpenSSH_9.6\r\necho:EHLO x\r\n\x00\x01\x02');
  assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
});

async function waitForBytes(wire: SmtpWire, length: number): Promise<void> {
  for (let waited = 0; wire.received().length < length; waited += 10) {
    if (waited > 3000) assert.fail(`only ${wire.received().length} of ${length} bytes arrived`);
    await quiet(10);
  }
}

// ---- behaviors ----

test('error on commands: nodemailer gets the 451 (responseCode 451) and the server never sees the message', async (t) => {
  const server = await startSmtpServer(t);
  // The greeting and EHLO are the handshake and pass; MAIL (and the pipelined RCPT and DATA) get a 451.
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error' });
  assert.equal(await failureCode(transport(proxy.port).sendMail(letter())), 451);
  await quiet(50);
  assert.deepEqual(server.mailFroms, [], 'the server saw MAIL FROM');
  assert.equal(server.mails.length, 0);
});

test('100:error by default: greeting and EHLO pass, each mail command gets a transient 451, the connection stays usable', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error' });
  const wire = await greeted(t, proxy.port);
  assert.match(await wire.command('EHLO me'), /^250-/);
  assert.equal(await wire.command('MAIL FROM:<s@example.com>'), '451 4.3.0 vaurien injected error\r\n');
  assert.equal(await wire.command('MAIL FROM:<s@example.com>'), '451 4.3.0 vaurien injected error\r\n');
  // A client retrying later, on the same connection, gets through.
  proxy.proxy.setBehavior('100:dummy');
  assert.match(await wire.command('MAIL FROM:<s@example.com>'), /^250 /);
  assert.match(await wire.command('RCPT TO:<r@example.com>'), /^250 /);
  assert.deepEqual(server.mailFroms, ['s@example.com']);
});

test('with handshake=true, error on the greeting: the client gets a 421 greeting and the connection closes', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error', protocolOptions: { handshake: true } });
  const wire = await smtpWire(t, proxy.port);
  await wire.closed;
  assert.equal(wire.received().toString(), '421 4.3.0 vaurien injected error, closing connection\r\n');
  const error = await transport(proxy.port)
    .sendMail(letter())
    .then(
      () => undefined,
      (failure: SmtpFailure) => failure,
    );
  assert.equal(error?.responseCode, 421);
});

test('error warmup: the session runs normally for `warmup` exchanges (the handshake does not count), then every reply is a 451', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error', behaviorOptions: { error: { warmup: 2 } } });
  const wire = await greeted(t, proxy.port);
  const replies = [
    await wire.command('EHLO me'),
    await wire.command('MAIL FROM:<s@example.com>'), // 1
    await wire.command('RCPT TO:<r@example.com>'), // 2
    await wire.command('DATA'), // errors from here on
    await wire.command('RSET'),
    await wire.command('NOOP'),
  ];
  assert.deepEqual(
    replies.map((reply) => reply.slice(0, 3)),
    ['250', '250', '250', '451', '451', '451'],
  );
  assert.deepEqual(server.mailFroms, ['s@example.com']);
});

test('error on the DATA body: a 451, the connection closes, and the server drops the message', async (t) => {
  const server = await startSmtpServer(t);
  // MAIL, RCPT, DATA pass; the body is the fourth exchange drawn.
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error', behaviorOptions: { error: { warmup: 3 } } });
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  await wire.command('MAIL FROM:<s@example.com>');
  await wire.command('RCPT TO:<r@example.com>');
  assert.match(await wire.command('DATA'), /^354 /);
  wire.write('Subject: lost\r\n\r\nbody\r\n.\r\n');
  assert.equal(await wire.reply(), '451 4.3.0 vaurien injected error\r\n');
  await wire.closed;
  await quiet(100);
  assert.equal(server.mails.length, 0);
  // nodemailer sees the same 451 on a fresh proxy.
  const again = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error', behaviorOptions: { error: { warmup: 3 } } });
  assert.equal(await failureCode(transport(again.port).sendMail(letter())), 451);
  await quiet(100);
  assert.equal(server.mails.length, 0);
});

test('with handshake=true, error on an AUTH LOGIN answer: a 451 and a closed connection, never a desynced session', async (t) => {
  const server = await startSmtpServer(t);
  // greeting, EHLO, AUTH LOGIN, the user name pass; the password line errors.
  const proxy = await startTestProxy(t, {
    backend: server.address,
    protocol: 'smtp',
    behavior: '100:error',
    behaviorOptions: { error: { warmup: 4 } },
    protocolOptions: { handshake: true },
  });
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  assert.match(await wire.command('AUTH LOGIN'), /^334 /);
  assert.match(await wire.command('dXNlcg=='), /^334 /);
  assert.equal(await wire.command('c2VjcmV0'), '451 4.3.0 vaurien injected error\r\n');
  await wire.closed;
});

test('error with inject puts random bytes inside a reply line, code and line end intact', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:error', behaviorOptions: { error: { inject: true } } });
  const wire = await smtpWire(t, proxy.port);
  const greeting = await wire.reply();
  assert.match(greeting, /^220 /);
  const noop = await wire.command('NOOP');
  const plain = '250 OK\r\n';
  assert.equal(noop.length, plain.length + 100);
  assert.ok(noop.startsWith('250 '), JSON.stringify(noop));
  assert.ok(noop.endsWith('\r\n') && !noop.slice(0, -2).includes('\n') && !noop.slice(0, -2).includes('\r'));
  assert.notEqual(noop, plain);
});

test('delay holds each mail command for `sleep` seconds, never the greeting or EHLO', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:delay', behaviorOptions: { delay: { sleep: 0.3 } } });
  let started = performance.now();
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  const setUpMs = performance.now() - started;
  // smtp-server waits 100 ms before its greeting (early-talker check); two held steps would take 600.
  assert.ok(setUpMs < 500, `greeting and EHLO after ${setUpMs} ms`);
  started = performance.now();
  await wire.command('NOOP');
  const noopMs = performance.now() - started;
  assert.ok(noopMs >= 290 && noopMs < 2000, `NOOP answered after ${noopMs} ms`);
});

test('with handshake=true, delay holds the greeting, then each command, for `sleep` seconds', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:delay', behaviorOptions: { delay: { sleep: 0.2 } }, protocolOptions: { handshake: true } });
  let started = performance.now();
  const wire = await greeted(t, proxy.port);
  const greetingMs = performance.now() - started;
  assert.ok(greetingMs >= 190 && greetingMs < 2000, `greeting after ${greetingMs} ms`);
  started = performance.now();
  await wire.command('NOOP');
  const noopMs = performance.now() - started;
  assert.ok(noopMs >= 190 && noopMs < 2000, `NOOP answered after ${noopMs} ms`);

  // nodemailer: greeting, EHLO, the pipelined MAIL+RCPT+DATA (held one after the other), body.
  started = performance.now();
  await transport(proxy.port).sendMail(letter());
  const sendMs = performance.now() - started;
  assert.ok(sendMs >= 6 * 190 && sendMs < 6000, `sendMail took ${sendMs} ms`);
  assert.equal(server.mails.length, 1);
});

test('delay with before=false: the server gets the command at once, the reply waits', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:delay', behaviorOptions: { delay: { sleep: 0.3, before: false } } });
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  const started = performance.now();
  wire.write('MAIL FROM:<early@example.com>\r\n');
  await quiet(120);
  assert.deepEqual(server.mailFroms, ['early@example.com']);
  assert.match(await wire.reply(), /^250 /);
  assert.ok(performance.now() - started >= 290);
});

test('hang on a command: no reply, the server never gets it, the connection stays open', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp' });
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  proxy.proxy.setBehavior('100:hang');
  wire.write('MAIL FROM:<s@example.com>\r\n');
  const outcome = await Promise.race([wire.closed.then(() => 'closed'), wire.reply().then(() => 'answered'), quiet(400).then(() => 'open')]);
  assert.equal(outcome, 'open');
  assert.deepEqual(server.mailFroms, []);
});

test('with handshake=true, hang on the greeting: the client waits with nothing, the connection stays open', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:hang', protocolOptions: { handshake: true } });
  const wire = await smtpWire(t, proxy.port);
  const outcome = await Promise.race([wire.closed.then(() => 'closed'), quiet(400).then(() => 'open')]);
  assert.equal(outcome, 'open');
  assert.equal(wire.received().length, 0);
});

test('blackout closes the client at once: on the greeting (handshake=true), and on a command the server never sees', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:blackout', protocolOptions: { handshake: true } });
  const first = await smtpWire(t, proxy.port);
  await first.closed;
  assert.equal(first.received().length, 0);

  proxy.proxy.setBehavior('100:dummy');
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  proxy.proxy.setBehavior('100:blackout');
  wire.write('MAIL FROM:<s@example.com>\r\n');
  await wire.closed;
  await quiet(50);
  assert.deepEqual(server.mailFroms, []);
});

test('abort forwards the command, then closes both connections before the reply; on the greeting (handshake=true), before it', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', protocolOptions: { handshake: true } });
  const wire = await greeted(t, proxy.port);
  await wire.command('EHLO me');
  const before = wire.received().length;
  proxy.proxy.setBehavior('100:abort');
  wire.write('MAIL FROM:<s@example.com>\r\n');
  await wire.closed;
  await quiet(100);
  assert.deepEqual(server.mailFroms, ['s@example.com'], 'the server did not get the command');
  assert.equal(wire.received().length, before, 'the client got a reply');

  // On the greeting (no request to forward): the connection closes before it is delivered.
  const early = await smtpWire(t, proxy.port);
  await early.closed;
  assert.equal(early.received().length, 0);
});

test('transient: the first `agitate` mails get a transient 451, then mail goes through', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:transient', behaviorOptions: { transient: { agitate: 1 } } });
  assert.equal(await failureCode(transport(proxy.port).sendMail(letter())), 451);
  await transport(proxy.port).sendMail(letter());
  assert.equal(server.mails.length, 1);
});

test('with handshake=true, transient: the first `agitate` connections get a 421 greeting, then mail goes through', async (t) => {
  const server = await startSmtpServer(t);
  const proxy = await startTestProxy(t, { backend: server.address, protocol: 'smtp', behavior: '100:transient', behaviorOptions: { transient: { agitate: 2 } }, protocolOptions: { handshake: true } });
  assert.equal(await failureCode(transport(proxy.port).sendMail(letter())), 421);
  assert.equal(await failureCode(transport(proxy.port).sendMail(letter())), 421);
  await transport(proxy.port).sendMail(letter());
  await transport(proxy.port).sendMail(letter());
  assert.equal(server.mails.length, 2);
});

test('an unreachable backend gives the client a 421 greeting and a closed connection', async (t) => {
  const closed = await startTcpServer(t, () => {});
  await new Promise((resolve) => closed.server.close(resolve));
  const proxy = await startTestProxy(t, { backend: closed.address, protocol: 'smtp' });
  const wire = await smtpWire(t, proxy.port);
  await wire.closed;
  assert.match(wire.received().toString(), /^421 4\.3\.0 [^\r\n]*\r\n$/);
  assert.equal(await failureCode(transport(proxy.port).sendMail(letter())), 421);
});

test('30:error over 200 messages on separate connections: error share and deliveries within binomial bounds', async (t) => {
  const server = await startSmtpServer(t);
  const picks: string[] = [];
  const proxy: TestProxy = await startTestProxy(t, {
    backend: server.address,
    protocol: 'smtp',
    behavior: '30:error',
    seed: 2024,
    onExchange: (event) => void picks.push(event.behavior),
  });
  const sends = 200;
  let delivered = 0;
  const codes = new Map<number | undefined, number>();
  let next = 0;
  // 20 clients at a time: smtp-server waits 100 ms before each greeting (early-talker check).
  const client = async (): Promise<void> => {
    for (let i = next++; i < sends; i = next++) {
      try {
        await transport(proxy.port).sendMail(letter([`r${i}@example.com`]));
        delivered++;
      } catch (error) {
        const code = (error as SmtpFailure).responseCode;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, client));
  await quiet(100);
  // What the user sees: a message nodemailer calls sent is on the server, any other failed with
  // an SMTP reply (451, or the server's 503 after a MAIL/RCPT the proxy answered); the greeting
  // and EHLO are the handshake, never failed.
  assert.equal(server.mails.length, delivered);
  for (const code of codes.keys()) assert.ok(code !== undefined && [451, 503].includes(code), `a failure with responseCode ${code}`);

  // Each exchange is error with p = 0.3, independently: the share over all exchanges is within 5 sd.
  const errors = picks.filter((name) => name === 'error').length;
  const p = 0.3;
  const sd = Math.sqrt((p * (1 - p)) / picks.length);
  assert.ok(Math.abs(errors / picks.length - p) < 5 * sd, `${errors} errors in ${picks.length} exchanges`);

  // A message gets through when MAIL, RCPT, DATA and the body all pass: 0.7^4 = 0.2401.
  const success = 0.7 ** 4;
  const mean = sends * success;
  const spread = 5 * Math.sqrt(sends * success * (1 - success));
  assert.ok(Math.abs(delivered - mean) < spread, `${delivered} delivered, expected ${mean.toFixed(1)} ± ${spread.toFixed(1)}`);
});
