// A private MariaDB server for one test file: a fresh data directory, a free TCP port on
// 127.0.0.1, users for native-password and ed25519 (auth switch) logins. Started once on first
// use, shared by the file's tests, killed and its directory removed by `stop()` (call in `after`).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePort } from './sockets.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { findBinary, requireBinary } from './backends.js';

const run = promisify(execFile);

export interface MariadbServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for a proxy's backend. */
  readonly address: string;
  /** The temporary directory: data, unix socket, error log, TLS certificate. */
  readonly directory: string;
  /** A mysql_native_password account over TCP, owner of `database`. */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** An ed25519 account: logging in makes the server ask for an auth switch. */
  readonly ed25519User: string;
  /** Exactly 32 bytes, so MariaDB's ed25519 signature is the standard one (see ed25519AuthPlugin). */
  readonly ed25519Password: string;
  /** A direct root connection over the unix socket, for setting up and checking data. */
  readonly admin: mysql.Connection;
  /** True when the server has TLS (openssl was there to make a certificate). */
  readonly tls: boolean;
}

export interface SharedMariadb {
  /** The file's server, started on first call; undefined when mariadbd is missing (the test is skipped). */
  get(t: TestContext): Promise<MariadbServer | undefined>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;

export function sharedMariadb(): SharedMariadb {
  let starting: Promise<Started> | undefined;
  return {
    async get(t) {
      const server = requireBinary(t, 'mariadbd', 'mysqld');
      if (server === undefined) return undefined;
      starting ??= startMariadb(server);
      return (await starting).server;
    },
    async stop() {
      if (starting === undefined) return;
      const started = await starting.catch(() => undefined);
      if (started === undefined) return;
      await started.server.admin.end().catch(() => {});
      started.child.kill('SIGKILL');
      await started.exited;
      await rm(started.server.directory, { recursive: true, force: true });
    },
  };
}

interface Started {
  readonly server: MariadbServer;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

async function startMariadb(serverBinary: string): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'vaurien-mariadb-'));
  let running: Running | undefined;
  try {
    const installer = findBinary('mariadb-install-db', 'mysql_install_db');
    if (installer === undefined) throw new Error('mariadb-install-db not found next to mariadbd');
    await run(installer, ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--user=root', '--skip-test-db'], {
      timeout: STARTUP_TIMEOUT_MS,
    });
    const tls = await makeCertificate(dir);
    // The free port may be taken between the probe and mariadbd's bind: try another one then.
    for (let attempt = 1; running === undefined; attempt++) {
      const candidate = launch(serverBinary, dir, await freePort(), tls);
      try {
        candidate.admin = await waitForServer(join(dir, 'sock'), candidate.child, join(dir, 'error.log'));
        running = candidate;
      } catch (error) {
        candidate.child.kill('SIGKILL');
        await candidate.exited;
        if (attempt === 3) throw error;
      }
    }
    const { admin, port } = running as Running & { admin: mysql.Connection };
    const server: MariadbServer = {
      host: '127.0.0.1',
      port,
      address: `127.0.0.1:${port}`,
      directory: dir,
      user: 'vaurien',
      password: 'chaos-monkey',
      database: 'chaos',
      ed25519User: 'edward',
      ed25519Password: 'ed25519-password-of-32-bytes-xyz',
      admin,
      tls,
    };
    await admin.query('CREATE DATABASE chaos');
    await admin.query('CREATE DATABASE other');
    await admin.query(`CREATE USER '${server.user}'@'%' IDENTIFIED BY '${server.password}'`);
    await admin.query(`CREATE USER '${server.ed25519User}'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('${server.ed25519Password}')`);
    for (const user of [server.user, server.ed25519User]) await admin.query(`GRANT ALL ON *.* TO '${user}'@'%'`);
    return { server, child: running.child, exited: running.exited };
  } catch (error) {
    running?.admin?.destroy();
    running?.child.kill('SIGKILL');
    await running?.exited;
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly port: number;
  admin?: mysql.Connection;
}

function launch(serverBinary: string, dir: string, port: number, tls: boolean): Running {
  const args = [
    '--no-defaults',
    `--datadir=${join(dir, 'data')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'sock')}`,
    `--pid-file=${join(dir, 'mariadbd.pid')}`,
    `--log-error=${join(dir, 'error.log')}`,
    '--user=root',
    '--skip-log-bin',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=32M',
    '--innodb-flush-log-at-trx-commit=0',
    '--max-allowed-packet=64M',
    '--local-infile=1',
    '--plugin-load-add=auth_ed25519',
    ...(tls ? [`--ssl-cert=${join(dir, 'cert.pem')}`, `--ssl-key=${join(dir, 'key.pem')}`] : []),
  ];
  const child = spawn(serverBinary, args, { stdio: 'ignore' });
  // If the test process ends without stop() (a crash, an uncaught error), the server goes too.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  return { child, exited, port };
}

async function waitForServer(socketPath: string, child: ChildProcess, errorLog: string): Promise<mysql.Connection> {
  const deadline = performance.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mariadbd exited during start-up: ${await readFile(errorLog, 'utf8').catch(() => '(no log)')}`);
    }
    try {
      return await mysql.createConnection({ socketPath, user: 'root', multipleStatements: true });
    } catch (error) {
      if (performance.now() > deadline) throw new Error(`mariadbd did not accept connections within ${STARTUP_TIMEOUT_MS} ms: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A self-signed certificate for localhost and 127.0.0.1 (its own CA: `cert.pem`), for TLS tests; false when openssl is not installed. */
async function makeCertificate(dir: string): Promise<boolean> {
  const openssl = findBinary('openssl');
  if (openssl === undefined) return false;
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, '[req]\ndistinguished_name=dn\n[dn]\n');
  try {
    await run(openssl, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-config', config, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    return true;
  } catch {
    return false;
  }
}

/** A port nothing listens on right now (mariadbd cannot be told to pick one itself). */
/** PKCS#8 wrapping of a raw 32-byte ed25519 seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * mysql2's `authPlugins.client_ed25519`. MariaDB signs the nonce with SHA-512(password) as the
 * expanded key, which for a 32-byte password is exactly standard ed25519 with the password as seed.
 */
export function ed25519AuthPlugin(password: string): () => (nonce: Buffer) => Buffer {
  const seed = Buffer.from(password);
  if (seed.length !== 32) throw new RangeError('the ed25519 test password must be 32 bytes');
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return () => (nonce) => sign(null, nonce.subarray(0, 32), key);
}

/**
 * Runs `SELECT ? AS value` `count` times on `connection`: each answer must be its value, each
 * failure vaurien's injected error (1105, HY000). Returns how many failed.
 */
export async function countInjectedQueryErrors(connection: mysql.Connection, count: number): Promise<number> {
  let failed = 0;
  for (let i = 0; i < count; i++) {
    try {
      const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT ? AS value', [i]);
      assert.equal(rows[0]?.['value'], i);
    } catch (error) {
      const { errno, sqlState, message } = error as { errno?: number; sqlState?: string; message: string };
      assert.deepEqual([errno, sqlState, message], [1105, 'HY000', 'vaurien injected error']);
      failed++;
    }
  }
  return failed;
}
