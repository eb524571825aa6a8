// The TLS rows' endpoints, started once and shared: a TLS backend (node:https, or redis-server on
// --tls-port), the TLS pipe proxy, and vaurien with TLS on both sides. One certificate, signed by
// the tests' CA for localhost and 127.0.0.1, serves every hop.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { findBinary } from '../../test/helpers/backends.js';
import { certificateFiles, signedCertificate, type CertificateFiles } from '../../test/helpers/certificates.js';
import { closedLoop } from '../load/closed-loop.js';
import { SkipProtocol } from './endpoints.js';
import { asChild, freePort, profileFlags, spawnAndWait, type Child, type ProxyLaunch } from './processes.js';
import type { TargetName } from './scenario.js';
import { wires, type Wire } from './wire.js';

/** What runs over TLS: HTTP keep-alive, or redis. */
export type TlsKind = 'https' | 'rediss';

/** The framing vaurien runs for each kind, and the load generators' wire. */
export const TLS_PROTOCOL: Readonly<Record<TlsKind, 'http' | 'redis'>> = { https: 'http', rediss: 'redis' };

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const KEY = 'vaurien-bench';
const VALUE = '0123456789abcdef';

export class TlsEndpoints {
  private readonly started = new Map<string, Promise<Child>>();
  private files: Promise<CertificateFiles> | undefined;
  private clientContext: SecureContext | undefined;

  constructor(
    private readonly launch: ProxyLaunch,
    private readonly warmSeconds: number,
  ) {}

  /** Opens a TLS connection as the load generators' clients do (SNI localhost, the test CA trusted). */
  async opener(): Promise<(port: number) => Socket> {
    const files = await this.certificates();
    const secureContext = (this.clientContext ??= createSecureContext({ ca: readFileSync(files.caFile) }));
    return (port) => {
      const socket = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', secureContext });
      socket.setNoDelay(true);
      return socket;
    };
  }

  /** The endpoint of `target` for `kind` (`direct`: the TLS backend itself). */
  get(kind: TlsKind, target: TargetName): Promise<Child> {
    return this.once(`${kind}:${target}`, async () => {
      if (target === 'direct') return this.backend(kind);
      const backend = await this.get(kind, 'direct');
      const files = await this.certificates();
      const child = target === 'pipe' ? await this.pipeProxy(kind, backend.port, files) : await this.vaurien(kind, target, backend.port, files);
      // Warm, as every proxy of the bench is, before it is measured.
      const result = await closedLoop({ port: child.port, connections: 8, pipeline: 4, seconds: this.warmSeconds, wire: wires[TLS_PROTOCOL[kind]], open: await this.opener() });
      if (result.errors > 0 || result.requests === 0) throw new Error(`${kind} ${target}: ${result.errors} errors and ${result.requests} answers while warming up`);
      return child;
    });
  }

  private async backend(kind: TlsKind): Promise<Child> {
    const files = await this.certificates();
    if (kind === 'https') {
      const { child, output } = await spawnAndWait(process.execPath, ['--import', 'tsx', here('../servers/https-backend.ts'), files.certFile, files.keyFile], /https \d+/);
      return asChild(child, Number(/https (\d+)/.exec(output)?.[1]));
    }
    const binary = findBinary('redis-server');
    if (binary === undefined) throw new SkipProtocol('redis-server not found (apt-get install redis-server)');
    const port = await freePort();
    const { child } = await spawnAndWait(
      binary,
      ['--port', '0', '--tls-port', String(port), '--tls-cert-file', files.certFile, '--tls-key-file', files.keyFile, '--tls-ca-cert-file', files.caFile, '--tls-auth-clients', 'no',
        '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'notice'],
      /[Rr]eady to accept connections/,
    );
    await this.store(port);
    return asChild(child, port);
  }

  /** SETs the value the GET requests read, over TLS. */
  private async store(port: number): Promise<void> {
    const set: Wire = { ...wires.redis, request: Buffer.from(`*3\r\n$3\r\nSET\r\n$${KEY.length}\r\n${KEY}\r\n$${VALUE.length}\r\n${VALUE}\r\n`) };
    const result = await closedLoop({ port, connections: 1, pipeline: 1, seconds: 0, wire: set, open: await this.opener() });
    if (result.errors > 0) throw new Error('redis over TLS did not answer SET');
  }

  private async pipeProxy(kind: TlsKind, backendPort: number, files: CertificateFiles): Promise<Child> {
    const label = `tls-pipe-${kind}`;
    const { child, output } = await spawnAndWait(
      process.execPath,
      [...profileFlags(this.launch, label), '--import', 'tsx', here('../servers/tls-pipe-proxy.ts'), files.certFile, files.keyFile, files.caFile, String(backendPort)],
      /listening \d+/,
      this.launch.profileDir !== undefined,
    );
    return asChild(child, Number(/listening (\d+)/.exec(output)?.[1]));
  }

  /** vaurien terminating TLS and speaking TLS to the backend: the kind's framing, or `--protocol tcp` for v-tcp. */
  private async vaurien(kind: TlsKind, target: TargetName, backendPort: number, files: CertificateFiles): Promise<Child> {
    const protocol = target === 'vaurien-tcp' ? 'tcp' : TLS_PROTOCOL[kind];
    const label = `vaurien-${protocol}-${kind}`;
    const { child, output } = await spawnAndWait(
      process.execPath,
      [
        ...profileFlags(this.launch, label), ...VAURIEN_NODE_FLAGS, resolvePath(this.launch.distDir, 'bin/vaurien.js'),
        '--proxy', '127.0.0.1:0', '--backend', `127.0.0.1:${backendPort}`, '--protocol', protocol, '--log-level', 'error', '--seed', '1', '--grace', '1',
        '--tls-cert', files.certFile, '--tls-key', files.keyFile, '--backend-tls', '--backend-tls-ca', files.caFile,
      ],
      /proxying \S+:\d+ ->/,
      this.launch.profileDir !== undefined,
    );
    return asChild(child, Number(/proxying \S+:(\d+) ->/.exec(output)?.[1]));
  }

  private certificates(): Promise<CertificateFiles> {
    this.files ??= signedCertificate().then(certificateFiles);
    return this.files;
  }

  private once(key: string, start: () => Promise<Child>): Promise<Child> {
    let child = this.started.get(key);
    if (child === undefined) {
      child = start();
      this.started.set(key, child);
    }
    return child;
  }
}
