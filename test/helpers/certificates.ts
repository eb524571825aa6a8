// Certificates made by the tests (selfsigned, on Node's own crypto), once per test process: a
// self-signed one for localhost and 127.0.0.1, and a test CA with leaf certificates it signs
// (for CA and hostname checks). `certificateFiles` writes one to disk, for the CLI's flags.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface Certificate {
  /** PEM private key. */
  readonly key: string;
  /** PEM certificate, also the CA a client trusts when it is self-signed. */
  readonly cert: string;
}

let made: Promise<Certificate> | undefined;

export function localhostCertificate(): Promise<Certificate> {
  made ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return made;
}

let authority: Promise<Certificate> | undefined;

/** The tests' certificate authority: trust its `cert` and every `signedCertificate` verifies. */
export function testAuthority(): Promise<Certificate> {
  authority ??= generate([{ name: 'commonName', value: 'vaurien test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return authority;
}

const signed = new Map<string, Promise<Certificate>>();

/**
 * A server certificate signed by `testAuthority()`, valid for the DNS `names` and IP addresses
 * given (default: localhost and 127.0.0.1).
 */
export function signedCertificate(names: readonly string[] = ['localhost', '127.0.0.1']): Promise<Certificate> {
  const key = names.join(',');
  let certificate = signed.get(key);
  if (certificate === undefined) {
    certificate = testAuthority().then(async (ca) => {
      const altNames = names.map((name) => (/^[\d.]+$|:/.test(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name }));
      const pems = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        ca: { key: ca.key, cert: ca.cert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames },
        ],
      });
      return { key: pems.private, cert: pems.cert };
    });
    signed.set(key, certificate);
  }
  return certificate;
}

export interface CertificateFiles {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The test CA's certificate. */
  readonly caFile: string;
}

/** Writes `certificate` (and the test CA) as PEM files in a new temporary folder. */
export async function certificateFiles(certificate: Certificate): Promise<CertificateFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-tls-'));
  const files = { dir, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), caFile: join(dir, 'ca.pem') };
  writeFileSync(files.certFile, certificate.cert);
  writeFileSync(files.keyFile, certificate.key, { mode: 0o600 });
  writeFileSync(files.caFile, (await testAuthority()).cert);
  return files;
}
