// A framed protocol that meets TLS it does not terminate passes the rest of the connection
// through raw and says so once, instead of waiting for a frame that never comes (until the idle
// timeout, with nothing logged): HTTPS through `--protocol http`, SMTPS through `--protocol smtp`.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { looksLikeTls, passTlsThrough } from '../../lib/pipeline/tls-passthrough.js';
import { http } from '../../plugins/protocols/http.js';
import { startTestProxy } from '../helpers/proxy.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import { localhostCertificate } from '../helpers/certificates.js';
import { testFramerContext } from '../helpers/framing.js';
import { defaultsOf } from '../../lib/contract/options.js';

const TLS_NOTICE = /TLS from the client, which (http|smtp) framing cannot read .* passes through raw/;

async function listening(t: TestContext, server: import('node:net').Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('HTTPS through --protocol http is answered at once, and the proxy says once that it passes TLS through raw', async (t) => {
  const { key, cert } = await localhostCertificate();
  const backend = await listening(t, createHttpsServer({ key, cert }, (_request, response) => response.end('secret hello')));
  const log = recordingLogger('info');
  // A short idle timeout: without passthrough the request would wait for it, and fail.
  const { port } = await startTestProxy(t, { backend, protocol: 'http', behavior: '100:error', timeout: 3, log });
  const dispatcher = new Agent({ connect: { ca: cert } });
  t.after(() => dispatcher.close());
  const started = performance.now();
  const response = await request(`https://localhost:${port}/`, { dispatcher, headersTimeout: 2000, bodyTimeout: 2000 });
  assert.equal(response.statusCode, 200);
  assert.equal(await response.body.text(), 'secret hello', 'the TLS bytes went through unchanged, not given a behavior');
  assert.ok(performance.now() - started < 1500);
  assert.equal(log.lines.filter((line) => TLS_NOTICE.test(line)).length, 1, log.lines.join('\n'));
});

test('SMTPS (implicit TLS, port 465 style) through --protocol smtp gets its greeting', async (t) => {
  const { key, cert } = await localhostCertificate();
  const backend = await listening(
    t,
    createTlsServer({ key, cert }, (socket) => {
      socket.write('220 smtps.example ESMTP ready\r\n');
      socket.on('data', () => socket.write('250 ok\r\n'));
      socket.on('error', () => {});
    }),
  );
  const log = recordingLogger('info');
  const { port } = await startTestProxy(t, { backend, protocol: 'smtp', timeout: 3, log });
  const client = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ca: cert });
  t.after(() => client.destroy());
  const [greeting] = (await Promise.race([once(client, 'data'), new Promise((_, reject) => setTimeout(() => reject(new Error('no greeting within 2 s')), 2000))])) as [Buffer];
  assert.equal(greeting.toString(), '220 smtps.example ESMTP ready\r\n');
  client.write('EHLO me\r\n');
  const [answer] = (await once(client, 'data')) as [Buffer];
  assert.equal(answer.toString(), '250 ok\r\n');
  assert.equal(log.lines.filter((line) => TLS_NOTICE.test(line)).length, 1, log.lines.join('\n'));
});

test('TLS records are told from the plaintext openings of the framed protocols', () => {
  const clientHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
  assert.ok(looksLikeTls(clientHello, 'request'));
  assert.ok(looksLikeTls(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), 'response'), 'an alert answering plaintext');
  for (const plain of ['GET / HTTP/1.1\r\n', '*1\r\n$4\r\nPING\r\n', 'get k\r\n', 'EHLO x\r\n', '220 hi\r\n']) assert.ok(!looksLikeTls(Buffer.from(plain), 'request'), plain);
  // A 790-byte MySQL packet begins 16 03 00: its third byte is not a TLS version.
  assert.ok(!looksLikeTls(Buffer.from([0x16, 0x03, 0x00, 0x01]), 'request'));
  assert.ok(!looksLikeTls(Buffer.from([0x15, 0x03, 0x01]), 'request'), 'a client never opens with an alert');
});

test('after the switch, what the other framer held goes out first, then everything raw, byte for byte', () => {
  const context = testFramerContext();
  const framers = passTlsThrough(http.createFramers(defaultsOf(http.options), context), () => {});
  const head = [...framers.request.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'))];
  assert.equal(head.length, 0, 'a partial head is held by the http framer');
  const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);
  const fromBackend = [...framers.response.push(alert)];
  assert.deepEqual(fromBackend.map((m) => [m.exchange, m.bytes]), [[0, alert]]);
  const rest = [...framers.request.push(Buffer.from('\r\n'))];
  assert.equal(Buffer.concat(rest.map((m) => m.bytes)).toString(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(rest.at(-1)?.exchange === 0);
});
