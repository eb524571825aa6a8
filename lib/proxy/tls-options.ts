// TLS settings, from what a user gives (PEM contents or file paths) to what node:tls takes, read
// and checked once at start: a bad file or a key that is not the certificate's is a UsageError
// naming the option and the file. What the settings show (`view`) never holds key material.
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { UsageError } from '../cli/usage-error.js';

/** A PEM text (string or Buffer), as node:tls takes `cert`, `key` and `ca`. */
export type PemInput = string | Buffer;

/**
 * TLS toward clients: vaurien terminates it with this certificate and key. Each is given as PEM
 * contents (`cert`, `key`) or as a file path (`certFile`, `keyFile`).
 * @example { certFile: '/etc/vaurien/cert.pem', keyFile: '/etc/vaurien/key.pem' }
 * @example { cert: readFileSync('cert.pem'), key: readFileSync('key.pem') }
 */
export interface ProxyTlsOptions {
  readonly cert?: PemInput;
  readonly certFile?: string;
  readonly key?: PemInput;
  readonly keyFile?: string;
}

/**
 * TLS toward the backend. The backend's certificate is checked against `ca` (PEM contents) or
 * `caFile` (a path), else Node's built-in CA list; `insecure` checks nothing.
 */
export interface BackendTlsOptions {
  readonly ca?: PemInput;
  readonly caFile?: string;
  readonly insecure?: boolean;
}

/** The TLS settings as the control API shows them: file paths, or "set" for PEM given in code. */
export interface TlsSetting {
  /** TLS toward clients (`--tls-cert`, `--tls-key`), or null when clients speak plaintext. */
  readonly proxy: { readonly cert: string; readonly key: string } | null;
  /** TLS toward the backend (`--backend-tls`); `ca` null means Node's built-in CA list. */
  readonly backend: { readonly ca: string | null; readonly insecure: boolean } | null;
}

/** How mistakes name the file settings: flags (`--tls-cert`), config keys, or option names. */
export interface TlsLabels {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** What `createProxy`'s messages say: the option names of ProxyOptions. */
export const OPTION_LABELS: TlsLabels = { cert: 'tls.certFile', key: 'tls.keyFile', ca: 'backendTls.caFile' };

/** PEM contents are given in code only: they are named by their option. */
const CONTENTS_LABELS: TlsLabels = { cert: 'tls.cert', key: 'tls.key', ca: 'backendTls.ca' };

/** Client-side TLS, read and checked. */
export interface ProxyTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly view: NonNullable<TlsSetting['proxy']>;
}

/** Backend-side TLS, read and checked; one context shared by every backend connection. */
export interface BackendTls {
  readonly secureContext: SecureContext;
  readonly insecure: boolean;
  readonly view: NonNullable<TlsSetting['backend']>;
}

/** A PEM input read: its bytes, how a message names it, what the settings show. */
interface Pem {
  readonly bytes: Buffer;
  readonly named: string;
  readonly shown: string;
}

export function loadProxyTls(options: ProxyTlsOptions, labels: TlsLabels = OPTION_LABELS): ProxyTls {
  const certPem = readPem(options.cert, options.certFile, labels.cert, CONTENTS_LABELS.cert);
  const keyPem = readPem(options.key, options.keyFile, labels.key, CONTENTS_LABELS.key);
  if (certPem === undefined && keyPem === undefined) throw new UsageError(`${labels.cert}: TLS toward clients needs a certificate and its key`);
  if (certPem === undefined) throw new UsageError(`${keyPem?.named}: needs ${labels.cert} too (the certificate clients are shown)`);
  if (keyPem === undefined) throw new UsageError(`${certPem.named}: needs ${labels.key} too (the certificate's private key)`);
  const certificate = parseCertificate(certPem);
  const key = parseKey(keyPem);
  if (!certificate.checkPrivateKey(key)) throw new UsageError(`${keyPem.named}: does not match the certificate of ${certPem.named}`);
  try {
    createSecureContext({ cert: certPem.bytes, key: keyPem.bytes });
  } catch (error) {
    throw new UsageError(`${certPem.named}, ${keyPem.named}: refused by OpenSSL: ${openSslReason(error)}`);
  }
  return { cert: certPem.bytes, key: keyPem.bytes, view: { cert: certPem.shown, key: keyPem.shown } };
}

/** Backend TLS as `backendTls` gives it (`true`: on, Node's CAs); undefined when off. */
export function loadBackendTls(options: boolean | BackendTlsOptions | undefined, labels: TlsLabels = OPTION_LABELS): BackendTls | undefined {
  if (options === undefined || options === false) return undefined;
  const given = options === true ? {} : options;
  const insecure = given.insecure === true;
  const caPem = readPem(given.ca, given.caFile, labels.ca, CONTENTS_LABELS.ca);
  if (caPem !== undefined && insecure) {
    throw new UsageError(`${caPem.named}: not checked with insecure backend TLS (no certificate is): give one or the other`);
  }
  if (caPem !== undefined) parseCertificate(caPem);
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext(caPem === undefined ? {} : { ca: caPem.bytes });
  } catch (error) {
    throw new UsageError(`${caPem?.named ?? labels.ca}: refused by OpenSSL: ${openSslReason(error)}`);
  }
  return { secureContext, insecure, view: { ca: caPem?.shown ?? null, insecure } };
}

/** The PEM given as contents or as a file (not both); undefined when neither. */
function readPem(contents: PemInput | undefined, file: string | undefined, label: string, contentsLabel: string): Pem | undefined {
  if (contents !== undefined && file !== undefined) throw new UsageError(`${contentsLabel}: give the PEM contents or ${label}, not both`);
  if (contents !== undefined) {
    if (typeof contents !== 'string' && !Buffer.isBuffer(contents)) throw new UsageError(`${contentsLabel}: expected PEM text (a string or a Buffer)`);
    return { bytes: Buffer.from(contents), named: contentsLabel, shown: 'set' };
  }
  if (file === undefined || file === '') return undefined;
  const named = `${label} ${file}`;
  try {
    return { bytes: readFileSync(file), named, shown: file };
  } catch (error) {
    throw new UsageError(`${named}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

function parseCertificate(pem: Pem): X509Certificate {
  try {
    return new X509Certificate(pem.bytes);
  } catch {
    throw new UsageError(`${pem.named}: no PEM certificate in it`);
  }
}

function parseKey(pem: Pem): KeyObject {
  try {
    return createPrivateKey(pem.bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') {
      throw new UsageError(`${pem.named}: the key is protected by a passphrase, which vaurien cannot take: give it the key unprotected`);
    }
    throw new UsageError(`${pem.named}: no PEM private key in it`);
  }
}

/** OpenSSL's reason ("ee key too small"), without its error-code prefix. */
function openSslReason(error: unknown): string {
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason === 'string') return reason;
  return error instanceof Error ? error.message : String(error);
}
