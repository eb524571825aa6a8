// Real PostgreSQL clients for tests: pg's Client (errors kept, never thrown at the process),
// psql run as a child, and a raw connection speaking through pg's own protocol library
// (pg-protocol's serializer and parser) for what pg does not do: pipelines of several Syncs,
// extended-protocol COPY, a CancelRequest.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { parse, serialize } from 'pg-protocol';
import type { PostgresServer } from './postgres-server.js';

export type Login = 'scram' | 'md5' | 'trust';

/** The user and password of a login kind on the test server. */
export function credentials(db: PostgresServer, login: Login = 'scram'): { user: string; password?: string } {
  if (login === 'md5') return { user: db.md5User, password: db.md5Password };
  if (login === 'trust') return { user: db.trustUser };
  return { user: db.user, password: db.password };
}

/**
 * A pg Client to 127.0.0.1:`port` (not yet connected), ended when the test ends. Its 'error'
 * events (a connection the proxy cut) are kept in `errors` instead of crashing the test process.
 */
export function pgClient(t: TestContext, port: number, db: PostgresServer, login: Login = 'scram', extra: pg.ClientConfig = {}): pg.Client & { errors: Error[] } {
  const client = Object.assign(new pg.Client({ host: '127.0.0.1', port, database: db.database, connectionTimeoutMillis: 10_000, ...credentials(db, login), ...extra }), { errors: [] as Error[] });
  client.on('error', (error) => void client.errors.push(error));
  t.after(() => client.end().catch(() => {}));
  return client;
}

export interface PsqlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * psql to 127.0.0.1:`port` with `args` (`-c SQL`, `-f FILE`…), `input` on its stdin. No psqlrc;
 * GSS encryption off (libpq would try it first if it found Kerberos credentials); `sslmode`
 * is libpq's default (prefer: an SSLRequest first) unless given; `env` sets more of libpq's
 * variables (PGSSLROOTCERT, PGCHANNELBINDING…).
 */
export function psql(
  db: PostgresServer,
  port: number,
  args: readonly string[],
  options: { input?: Buffer | string; login?: Login; sslmode?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<PsqlRun> {
  const binary = db.psql;
  if (binary === undefined) throw new Error('psql is not installed (apt-get install postgresql-client)');
  const { user, password } = credentials(db, options.login);
  const env: NodeJS.ProcessEnv = { ...process.env, PGGSSENCMODE: 'disable', PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'vaurien-test' };
  if (password !== undefined) env['PGPASSWORD'] = password;
  if (options.sslmode !== undefined) env['PGSSLMODE'] = options.sslmode;
  else delete env['PGSSLMODE'];
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db.database, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (data: Buffer) => out.push(data));
    child.stderr.on('data', (data: Buffer) => err.push(data));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {}); // psql may exit before reading all of it (a failed login)
    child.stdin.end(options.input ?? '');
  });
}

/** A backend message as pg-protocol parses it (the fields the tests read). */
export interface BackendMessage {
  readonly name: string;
  readonly status?: string;
  readonly code?: string;
  readonly message?: string;
  readonly fields?: unknown[];
  readonly text?: string;
  readonly payload?: string;
}

/** A raw protocol connection: send serialized messages, wait for what the server answers. */
export class RawPg {
  readonly messages: BackendMessage[] = [];
  private waiting: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    void parse(socket, (message) => {
      this.messages.push(message as unknown as BackendMessage);
      this.waiting?.();
    });
  }

  /** Connects to 127.0.0.1:`port` as a trust user and waits for the first ReadyForQuery. */
  static async open(t: TestContext, port: number, db: PostgresServer): Promise<RawPg> {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    t.after(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const raw = new RawPg(socket);
    socket.write(serialize.startup({ user: db.trustUser, database: db.database }));
    await raw.until((messages) => messages.some((message) => message.name === 'readyForQuery'));
    raw.messages.length = 0;
    return raw;
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** Resolves with the messages so far once `done` says they are enough (rejects after 10 s). */
  async until(done: (messages: readonly BackendMessage[]) => boolean): Promise<BackendMessage[]> {
    const deadline = performance.now() + 10_000;
    while (!done(this.messages)) {
      if (performance.now() > deadline) throw new Error(`no answer: got ${this.messages.map((message) => message.name).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.messages;
  }

  /** Resolves once `count` ReadyForQuery messages have arrived. */
  readyCount(count: number): Promise<BackendMessage[]> {
    return this.until((messages) => messages.filter((message) => message.name === 'readyForQuery').length >= count);
  }
}

export { serialize };
