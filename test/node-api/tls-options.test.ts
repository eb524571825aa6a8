// createProxy's TLS options, as code gives them: PEM contents or file paths, checked at once; a
// mistake is a UsageError naming the option (and the file), before anything listens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProxy, UsageError } from '../../lib/index.js';
import { certificateFiles, localhostCertificate, signedCertificate } from '../helpers/certificates.js';

function refused(options: Parameters<typeof createProxy>[0], expected: RegExp): void {
  assert.throws(() => createProxy(options), (error: unknown) => error instanceof UsageError && expected.test(error.message));
}

test('createProxy refuses TLS options that cannot work, naming the option', async () => {
  const certificate = await signedCertificate();
  const files = await certificateFiles(certificate);
  const other = await localhostCertificate();
  const backend = '127.0.0.1:9';
  refused({ backend, tls: { cert: certificate.cert } }, /^tls\.cert: needs tls\.keyFile too/);
  refused({ backend, tls: { cert: certificate.cert, certFile: files.certFile, key: certificate.key } }, /^tls\.cert: give the PEM contents or tls\.certFile, not both$/);
  refused({ backend, tls: { cert: certificate.cert, key: other.key } }, /^tls\.key: does not match the certificate of tls\.cert$/);
  refused({ backend, tls: { certFile: `${files.dir}/nope.pem`, keyFile: files.keyFile } }, /^tls\.certFile \S+nope\.pem: cannot read the file \(ENOENT\)$/);
  refused({ backend, tls: { cert: 'garbage', key: certificate.key } }, /^tls\.cert: no PEM certificate in it$/);
  refused({ backend, backendTls: { ca: 'garbage' } }, /^backendTls\.ca: no PEM certificate in it$/);
  refused({ backend, backendTls: { caFile: files.caFile, insecure: true } }, /not checked with insecure backend TLS/);
  // Contents and files are both fine, and so is `backendTls: true`.
  createProxy({ backend, tls: { certFile: files.certFile, key: certificate.key }, backendTls: true });
});
