// A private PostgreSQL server for one test file: initdb into a temporary directory, a free TCP
// port on 127.0.0.1, the unix socket in that directory, users for each kind of login (trust,
// md5, scram-sha-256). PostgreSQL refuses to run as root, and CI runs as root: the server then
// runs as the `postgres` system user (or `nobody`), which owns the directory. Started once on
// first use, shared by the file's tests; `stop()` (call it in `after`) ends it and removes it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { findBinary, requireBinary } from './backends.js';
import { freePort } from './sockets.js';

const run = promisify(execFile);
const STARTUP_TIMEOUT_MS = 30_000;

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for a proxy's backend. */
  readonly address: string;
  /** The temporary directory: data, unix socket, log, TLS certificate. */
  readonly directory: string;
  readonly database: string;
  /** A scram-sha-256 login (the server's default password method), superuser. */
  readonly user: string;
  readonly password: string;
  /** An md5 login, superuser. */
  readonly md5User: string;
  readonly md5Password: string;
  /** A login without a password over TCP (trust), superuser. */
  readonly trustUser: string;
  /** A superuser connection to `database` over the unix socket, not through any proxy: for setting up and checking. */
  readonly admin: pg.Client;
  /** Where psql and pgbench are, or undefined when they are not installed. */
  readonly psql: string | undefined;
  /** The server can be switched to TLS (openssl made it a certificate): see `setTls`. */
  readonly tlsAvailable: boolean;
  /** Turns TLS on or off (a configuration reload; new connections only). Off after start. */
  setTls(on: boolean): Promise<void>;
  /** The server's log so far (for a test that failed). */
  log(): Promise<string>;
}

export interface SharedPostgres {
  /** The file's server, started on first call; undefined when postgres is missing (the test is skipped, or fails in CI). */
  get(t: TestContext): Promise<PostgresServer | undefined>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export function sharedPostgres(): SharedPostgres {
  let starting: Promise<RunningPostgres> | undefined;
  return {
    async get(t) {
      const binary = requireBinary(t, 'postgres');
      const initdb = binary === undefined ? undefined : requireBinary(t, 'initdb');
      if (binary === undefined || initdb === undefined) return undefined;
      starting ??= startPostgres(binary, initdb);
      return (await starting).server;
    },
    async stop() {
      await (await starting?.catch(() => undefined))?.stop();
    },
  };
}

/** A server started outside a test (the bench): the caller stops it. */
export interface RunningPostgres {
  readonly server: PostgresServer;
  readonly child: ChildProcess;
  /** Ends the admin connection, stops the server, removes its directory. */
  stop(): Promise<void>;
}

/** Starts a server with the installed binaries (an error when they are missing). */
export function startPostgresServer(): Promise<RunningPostgres> {
  const binary = findBinary('postgres');
  const initdb = findBinary('initdb');
  if (binary === undefined || initdb === undefined) throw new Error('postgres or initdb not found (apt-get install postgresql)');
  return startPostgres(binary, initdb);
}

/** Who runs the server: ourselves, or (as root) an unprivileged system user. */
interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** The uid and gid of the first of `names` in /etc/passwd. */
function systemUser(...names: string[]): RunAs {
  const lines = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of names) {
    const fields = lines.find((line) => line.startsWith(`${name}:`))?.split(':');
    if (fields !== undefined && fields.length > 3) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new Error(`none of ${names.join(', ')} is a user here: PostgreSQL cannot run as root`);
}

function runAs(): RunAs | undefined {
  return process.getuid?.() === 0 ? systemUser('postgres', 'nobody') : undefined;
}

async function startPostgres(binary: string, initdb: string): Promise<RunningPostgres> {
  const user = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'vaurien-postgres-'));
  const own = async (path: string): Promise<void> => {
    if (user !== undefined) await chown(path, user.uid, user.gid);
  };
  let running: Running | undefined;
  try {
    await own(dir);
    const data = join(dir, 'data');
    await run(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
      timeout: STARTUP_TIMEOUT_MS,
      env: { ...process.env, LC_ALL: 'C' },
      ...(user ?? {}),
    });
    await configure(dir, data);
    await writeFile(
      join(data, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all trusted 127.0.0.1/32 trust',
        'host all legacy 127.0.0.1/32 md5',
        'host all all 127.0.0.1/32 scram-sha-256',
        '',
      ].join('\n'),
    );
    await own(join(data, 'pg_hba.conf'));
    const tlsAvailable = await makeCertificate(dir, own);
    // The free port may be taken between the probe and the server's bind: try another one then.
    for (let attempt = 1; running === undefined; attempt++) {
      const candidate = launch(binary, dir, await freePort(), user);
      try {
        candidate.admin = await waitForServer(dir, candidate);
        running = candidate;
      } catch (error) {
        await stopServer(candidate.child, candidate.exited);
        if (attempt === 3) throw error;
      }
    }
    const { admin: setup, port } = running as Running & { admin: pg.Client };
    await setup.query("CREATE ROLE vaurien LOGIN SUPERUSER PASSWORD 'chaos-monkey'");
    await setup.query("SET password_encryption = 'md5'");
    await setup.query("CREATE ROLE legacy LOGIN SUPERUSER PASSWORD 'md5-password'");
    await setup.query('CREATE ROLE trusted LOGIN SUPERUSER');
    await setup.query('CREATE DATABASE chaos OWNER vaurien');
    // The admin connection works in the tests' database (tables, NOTIFY are per database).
    await setup.end();
    const admin = new pg.Client({ host: dir, port, user: 'postgres', database: 'chaos' });
    running.admin = admin;
    await admin.connect();
    const server: PostgresServer = {
      host: '127.0.0.1',
      port,
      address: `127.0.0.1:${port}`,
      directory: dir,
      database: 'chaos',
      user: 'vaurien',
      password: 'chaos-monkey',
      md5User: 'legacy',
      md5Password: 'md5-password',
      trustUser: 'trusted',
      admin,
      psql: findBinary('psql'),
      tlsAvailable,
      async setTls(on) {
        await admin.query(`ALTER SYSTEM SET ssl = ${on ? 'on' : 'off'}`);
        await admin.query('SELECT pg_reload_conf()');
        // The reload is asynchronous: wait until the server reports the new setting.
        for (const deadline = performance.now() + 5000; performance.now() < deadline; ) {
          const { rows } = await admin.query<{ ssl: string }>('SHOW ssl');
          if (rows[0]?.ssl === (on ? 'on' : 'off')) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`the server did not turn ssl ${on ? 'on' : 'off'}`);
      },
      log: () => readFile(join(dir, 'postgres.log'), 'utf8').catch(() => '(no log)'),
    };
    const { child, exited } = running;
    return {
      server,
      child,
      async stop() {
        await admin.end().catch(() => {});
        await stopServer(child, exited);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await running?.admin?.end().catch(() => {});
    if (running !== undefined) await stopServer(running.child, running.exited);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A fast, throwaway server: no fsync; TLS configured but off (the TLS test turns it on). */
async function configure(dir: string, data: string): Promise<void> {
  const settings = [
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 150',
    'shared_buffers = 32MB',
    'ssl = off',
    `ssl_cert_file = '${join(dir, 'cert.pem')}'`,
    `ssl_key_file = '${join(dir, 'key.pem')}'`,
  ];
  const conf = join(data, 'postgresql.conf');
  await writeFile(conf, `${await readFile(conf, 'utf8')}\n# vaurien tests\n${settings.join('\n')}\n`);
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly port: number;
  readonly logPath: string;
  admin?: pg.Client;
}

function launch(binary: string, dir: string, port: number, user: RunAs | undefined): Running {
  const logPath = join(dir, 'postgres.log');
  // Settings are in postgresql.conf (see configure), so ALTER SYSTEM can change them (TLS).
  const args = ['-D', join(dir, 'data'), '-p', String(port)];
  // The log goes straight to a file (the server writes it, not this process).
  const log = openSync(logPath, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', log, log], env: { ...process.env, LC_ALL: 'C' }, ...(user ?? {}) });
  closeSync(log);
  // If the test process ends without stop() (a crash, an uncaught error), the server goes too.
  const killOnExit = (): void => void child.kill('SIGQUIT');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  return { child, exited, port, logPath };
}

async function waitForServer(dir: string, running: Running): Promise<pg.Client> {
  const deadline = performance.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const { child } = running;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited during start-up: ${await readFile(running.logPath, 'utf8').catch(() => '(no log)')}`);
    }
    const admin = new pg.Client({ host: dir, port: running.port, user: 'postgres', database: 'postgres' });
    try {
      await admin.connect();
      return admin;
    } catch (error) {
      await admin.end().catch(() => {});
      if (performance.now() > deadline) throw new Error(`postgres did not accept connections within ${STARTUP_TIMEOUT_MS} ms: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Immediate shutdown (SIGQUIT: the postmaster stops its backends), then SIGKILL if it lingers. */
async function stopServer(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGQUIT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }
}

/** A self-signed certificate for localhost and 127.0.0.1 (its own CA: `cert.pem`), owned by the server's user; false when openssl is not installed. */
async function makeCertificate(dir: string, own: (path: string) => Promise<void>): Promise<boolean> {
  const openssl = findBinary('openssl');
  if (openssl === undefined) return false;
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, '[req]\ndistinguished_name=dn\n[dn]\n');
  try {
    await run(openssl, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-config', config, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
  } catch {
    return false;
  }
  // The server refuses a key others can read.
  await chmod(join(dir, 'key.pem'), 0o600);
  await own(join(dir, 'key.pem'));
  await own(join(dir, 'cert.pem'));
  return true;
}
