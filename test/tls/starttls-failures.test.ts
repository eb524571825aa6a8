// When a TLS switch vaurien terminates fails: a client that botches or gives up its handshake
// after STARTTLS, a backend whose certificate the CA does not sign. That connection is closed
// and logged once; the other connections of the proxy go on as if nothing happened.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { TLSSocket } from 'node:tls';
import nodemailer from 'nodemailer';
import { localhostCertificate, signedCertificate, testAuthority } from '../helpers/certificates.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import { pgClient } from '../helpers/postgres-clients.js';
import { sharedPostgres } from '../helpers/postgres-server.js';
import { startTestProxy } from '../helpers/proxy.js';
import { smtpWire, startSmtpServer } from '../helpers/smtp-server.js';

const postgres = sharedPostgres();
after(() => postgres.stop());

const letter = { from: 'sender@example.com', to: ['rcpt@example.com'], subject: 'vaurien test', text: 'Hello' };

test('a client that sends garbage instead of its ClientHello after STARTTLS is closed, with one info line; a mail sent meanwhile goes through', async (t) => {
  const { key, cert } = await localhostCertificate();
  const server = await startSmtpServer(t, { disabledCommands: [], key, cert });
  const log = recordingLogger('debug');
  const { port } = await startTestProxy(t, { backend: server.address, protocol: 'smtp', tls: await signedCertificate(), backendTls: { ca: cert }, log });

  const wire = await smtpWire(t, port);
  assert.match(await wire.reply(), /^220 /);
  assert.match(await wire.command('EHLO client.test'), /STARTTLS/);
  assert.match(await wire.command('STARTTLS'), /^220 /);
  const tls = { ca: (await testAuthority()).cert, servername: 'localhost' };
  const sending = nodemailer.createTransport({ host: '127.0.0.1', port, requireTLS: true, tls }).sendMail(letter);
  wire.write('MAIL FROM:<plaintext@example.com>\r\n');
  await wire.closed;

  assert.deepEqual((await sending).accepted, ['rcpt@example.com']);
  assert.deepEqual(server.mailFroms, ['sender@example.com'], 'the plaintext command reached the server');
  const lines = log.lines.filter((line) => !line.startsWith('[debug]'));
  assert.equal(lines.length, 1, log.lines.join('\n'));
  assert.match(lines[0] ?? '', /^\[info\] #1 127\.0\.0\.1:\d+: TLS handshake with the client failed at the protocol's switch to TLS: .*; closed$/);
});

test('a backend whose certificate the CA does not sign: a pg client asking for TLS is closed with one warning; a plaintext client of the same proxy is served', { timeout: 60_000 }, async (t) => {
  const db = await postgres.get(t);
  if (db === undefined) return;
  if (!db.tlsAvailable) {
    if (process.env['CI'] === 'true') assert.fail('openssl is missing: the server has no certificate');
    return t.skip('openssl is not installed: no certificate for the server');
  }
  await db.setTls(true);
  t.after(() => db.setTls(false));
  const log = recordingLogger('info');
  // The server's certificate is self-signed; vaurien is told to trust the test CA only.
  const { port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres', tls: await signedCertificate(), backendTls: { ca: (await testAuthority()).cert }, log });

  const refused = pgClient(t, port, db, 'scram', { ssl: { ca: (await testAuthority()).cert, servername: 'localhost' } });
  await assert.rejects(refused.connect());
  const plain = pgClient(t, port, db, 'scram', { ssl: false });
  await plain.connect();
  assert.ok(!((plain as unknown as { connection: { stream: unknown } }).connection.stream instanceof TLSSocket));
  const { rows } = await plain.query<{ one: number }>('SELECT 1 AS one');
  assert.equal(rows[0]?.one, 1);

  assert.equal(log.lines.length, 1, log.lines.join('\n'));
  assert.match(log.lines[0] ?? '', /^\[warning\] #1 .*: TLS handshake with backend 127\.0\.0\.1:\d+ failed at the protocol's switch to TLS: .*self-signed certificate.*; closed$/);
});
