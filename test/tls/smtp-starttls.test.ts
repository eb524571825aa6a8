// SMTP clients that switch to TLS with STARTTLS through a vaurien with TLS on both sides:
// vaurien terminates it with its own certificate and does STARTTLS with the server, and
// `--protocol smtp` acts on single mail commands of the decrypted session. The same port takes
// SMTPS clients (TLS at once), whose backend connection starts with TLS too.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer, { type Transporter } from 'nodemailer';
import { localhostCertificate, signedCertificate, testAuthority } from '../helpers/certificates.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import type { ProxyOptions } from '../../lib/index.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.js';

const letter = { from: 'sender@example.com', to: ['rcpt@example.com'], subject: 'vaurien test', text: 'Hello over TLS' };

/** nodemailer to the proxy on `port`, trusting only the test CA (vaurien's certificate, not the server's). */
async function transport(port: number, extra: Record<string, unknown>): Promise<Transporter> {
  const tls = { ca: (await testAuthority()).cert, servername: 'localhost' };
  return nodemailer.createTransport({ host: '127.0.0.1', port, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 5000, tls, ...extra });
}

/** The responseCode nodemailer's failure carries (fails the test if the mail went). */
async function failureCode(sending: Promise<unknown>): Promise<number | undefined> {
  return sending.then(
    () => assert.fail('the mail was sent'),
    (error: { responseCode?: number }) => error.responseCode,
  );
}

/** vaurien in front of `server` with TLS on both sides (its own certificate, and the server's trusted), `--protocol smtp`. */
async function tlsSmtpProxy(t: TestContext, server: TestSmtpServer, extra: Partial<ProxyOptions> = {}): Promise<TestProxy> {
  return startTestProxy(t, { backend: server.address, protocol: 'smtp', tls: await signedCertificate(), backendTls: { ca: (await localhostCertificate()).cert }, ...extra });
}

/** smtp-server with a certificate of its own (not the test CA's), offering STARTTLS or speaking TLS at once; `secured` counts its TLS sessions. */
async function tlsSmtpServer(t: TestContext, secure: boolean): Promise<TestSmtpServer & { secured: () => number }> {
  const { key, cert } = await localhostCertificate();
  let secured = 0;
  const server = await startSmtpServer(t, {
    disabledCommands: [],
    secure,
    key,
    cert,
    onSecure(_socket, _session, callback) {
      secured++;
      callback();
    },
  });
  return { ...server, secured: () => secured };
}

test('nodemailer with requireTLS: vaurien terminates STARTTLS, every mail command gets a 451 under 100:error, and the server gets its mail over TLS', async (t) => {
  const server = await tlsSmtpServer(t, false);
  const log = recordingLogger('info');
  const { port, proxy } = await tlsSmtpProxy(t, server, { behavior: '100:error', log });
  // The greeting, both EHLOs and STARTTLS are the handshake: MAIL FROM is the first command faulted.
  assert.equal(await failureCode((await transport(port, { requireTLS: true })).sendMail(letter)), 451);
  assert.deepEqual(server.mailFroms, [], 'the failed MAIL FROM reached the server');
  assert.equal(server.secured(), 1, 'vaurien did no STARTTLS with the server');

  proxy.setBehavior('100:dummy');
  const info = await (await transport(port, { requireTLS: true })).sendMail(letter);
  assert.deepEqual(info.accepted, ['rcpt@example.com']);
  assert.equal(server.mails.length, 1);
  assert.equal(server.secured(), 2);
  assert.deepEqual(log.lines, []);
});

test('SMTPS clients on the same kind of port: TLS at once to vaurien and from vaurien to an SMTPS server, 451 per command under 100:error', async (t) => {
  const server = await tlsSmtpServer(t, true);
  const { port, proxy } = await tlsSmtpProxy(t, server, { behavior: '100:error' });
  assert.equal(await failureCode((await transport(port, { secure: true })).sendMail(letter)), 451);
  proxy.setBehavior('100:dummy');
  const info = await (await transport(port, { secure: true })).sendMail(letter);
  assert.deepEqual(info.accepted, ['rcpt@example.com']);
  assert.deepEqual([server.mails.length, server.secured()], [1, 2]);
});

test('one port tells the kinds apart: a STARTTLS client is greeted in plaintext, an SMTPS client handshakes with vaurien first', async (t) => {
  const server = await tlsSmtpServer(t, false);
  const log = recordingLogger('info');
  const { port } = await tlsSmtpProxy(t, server, { log });
  const started = performance.now();
  const info = await (await transport(port, { requireTLS: true })).sendMail(letter);
  assert.deepEqual(info.accepted, ['rcpt@example.com']);
  assert.ok(performance.now() - started < 2000, 'the plaintext client waited long for its greeting');
  // An SMTPS client: its TLS is vaurien's; vaurien then starts TLS at once with this server,
  // which speaks plaintext first: unavailable, a 421 over the client's TLS and one line.
  assert.equal(await failureCode((await transport(port, { secure: true })).sendMail(letter)), 421);
  assert.equal(log.lines.length, 1, log.lines.join('\n'));
  assert.match(log.lines[0] ?? '', /\[warning\] #2 .*unavailable: TLS handshake failed/);
});
