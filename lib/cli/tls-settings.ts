// The TLS flags and [vaurien] keys as a run's settings: paths resolved (a config file's relative
// to its folder), combinations checked, files read and checked now, so a mistake is one line
// naming the flag or key and the file, before anything listens.
import { dirname, resolve } from 'node:path';
import { loadBackendTls, loadProxyTls, type BackendTlsOptions, type ProxyTlsOptions } from '../proxy/tls-options.js';
import type { CoreOptions } from './core-options.js';
import { UsageError } from './usage-error.js';

export interface TlsSettings {
  /** TLS toward clients, as file paths; undefined: plaintext. */
  readonly tls: ProxyTlsOptions | undefined;
  /** TLS toward the backend; undefined: plaintext. */
  readonly backendTls: BackendTlsOptions | undefined;
}

type TlsKey = 'tls_cert' | 'tls_key' | 'backend_tls' | 'backend_tls_ca' | 'backend_tls_insecure';

/** Where a value came from: its flag or config key, and the config file when from there. */
export interface TlsOrigin {
  where(key: TlsKey): string;
  /** The config file that gave `key`, or undefined for the command line and defaults. */
  file(key: TlsKey): string | undefined;
}

export function resolveTlsSettings(values: Pick<CoreOptions, TlsKey>, origin: TlsOrigin): TlsSettings {
  // A path from a config file is relative to that file, as plugin paths are; a flag's to the working directory.
  const path = (key: 'tls_cert' | 'tls_key' | 'backend_tls_ca'): string | undefined => {
    const value = values[key];
    if (value === '') return undefined;
    const file = origin.file(key);
    return file === undefined ? resolve(value) : resolve(dirname(file), value);
  };
  const labels = { cert: origin.where('tls_cert'), key: origin.where('tls_key'), ca: origin.where('backend_tls_ca') };

  const certFile = path('tls_cert');
  const keyFile = path('tls_key');
  let tls: ProxyTlsOptions | undefined;
  if (certFile !== undefined || keyFile !== undefined) {
    tls = { ...(certFile !== undefined ? { certFile } : {}), ...(keyFile !== undefined ? { keyFile } : {}) };
    loadProxyTls(tls, labels);
  }

  const caFile = path('backend_tls_ca');
  if (!values.backend_tls) {
    const stray = caFile !== undefined ? 'backend_tls_ca' : values.backend_tls_insecure ? 'backend_tls_insecure' : undefined;
    if (stray !== undefined) throw new UsageError(`${origin.where(stray)}: needs --backend-tls (backend_tls = true): without it the backend is reached in plaintext`);
    return { tls, backendTls: undefined };
  }
  const backendTls: BackendTlsOptions = { ...(caFile !== undefined ? { caFile } : {}), insecure: values.backend_tls_insecure };
  loadBackendTls(backendTls, labels);
  return { tls, backendTls };
}
