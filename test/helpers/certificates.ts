// A self-signed certificate for localhost and 127.0.0.1, made once per test process (selfsigned,
// on Node's own crypto): for TLS servers and clients the tests start themselves.
import { generate } from 'selfsigned';

export interface Certificate {
  /** PEM private key. */
  readonly key: string;
  /** PEM certificate, also the CA a client trusts. */
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
