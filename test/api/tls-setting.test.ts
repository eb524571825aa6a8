// GET /tls: the TLS settings of a proxy, as a user gave them (file paths, or "set" for PEM given
// in code), never key material; null for a side that speaks plaintext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateFiles, signedCertificate, testAuthority } from '../helpers/certificates.js';
import { startEchoServer } from '../helpers/sockets.js';
import { startApi } from './harness.js';

test('GET /tls shows "set" for PEM given in code and the path of a CA file, never the key', async (t) => {
  const echo = await startEchoServer(t);
  const certificate = await signedCertificate();
  const files = await certificateFiles(certificate);
  const harness = await startApi(t, { backend: echo.address, tls: { cert: certificate.cert, key: Buffer.from(certificate.key) }, backendTls: { caFile: files.caFile } });
  const answer = await harness.call('GET', '/tls');
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json, { proxy: { cert: 'set', key: 'set' }, backend: { ca: files.caFile, insecure: false } });
  assert.doesNotMatch(answer.text, /BEGIN|PRIVATE/);
  assert.ok(!answer.text.includes((await testAuthority()).cert.slice(30, 60)));
});

test('GET /tls of a plaintext proxy: null on both sides; with backendTls: true, Node\'s CAs (ca null)', async (t) => {
  const echo = await startEchoServer(t);
  const plain = await startApi(t, { backend: echo.address });
  assert.deepEqual((await plain.call('GET', '/tls')).json, { proxy: null, backend: null });
  const system = await startApi(t, { backend: echo.address, backendTls: true });
  assert.deepEqual((await system.call('GET', '/tls')).json, { proxy: null, backend: { ca: null, insecure: false } });
});
