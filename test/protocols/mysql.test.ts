// The mysql protocol against a private MariaDB server, with the mysql2 client and the mariadb
// command-line tools: sessions cross byte for byte, each behavior acts on single commands of
// one connection, and recorded real sessions frame the same whatever the chunking.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import type { Message } from '../../lib/contract/message.js';
import type { ForwardedRequest, FramerContext } from '../../lib/contract/protocol.js';
import { silentLogger } from '../../lib/log.js';
import { mysql as mysqlProtocol } from '../../plugins/protocols/mysql.js';
import { findBinary } from '../helpers/backends.js';
import { signedCertificate, testAuthority } from '../helpers/certificates.js';
import { splitAt } from '../helpers/framing.js';
import { countInjectedQueryErrors, ed25519AuthPlugin, type MariadbServer, sharedMariadb } from '../helpers/mariadb-server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startTee, type Segment } from '../helpers/tee.js';

const mariadb = sharedMariadb();
after(() => mariadb.stop());

const run = promisify(execFile);
const TIMEOUT = { timeout: 60_000 };

type Row = mysql.RowDataPacket;

function connectTo(port: number, db: MariadbServer, extra: mysql.ConnectionOptions = {}): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port, user: db.user, password: db.password, database: db.database, connectTimeout: 10_000, ...extra });
}

/** A mysql proxy whose warnings (malformed data) are kept: framing real traffic must log none. */
async function proxyTo(t: TestContext, backend: string, behavior = '100:dummy'): Promise<TestProxy & { warnings: string[] }> {
  const warnings: string[] = [];
  const log = { ...silentLogger, warning: (line: string) => void warnings.push(line) };
  return { ...(await startTestProxy(t, { backend, protocol: 'mysql', behavior, log })), warnings };
}

/** The mysql2 error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { errno?: number; code?: string; sqlState?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { errno?: number; code?: string; sqlState?: string };
  }
  assert.fail('expected the call to fail');
}

/** A realistic mysql2 session; returns what it read so the caller can check it. */
async function realisticSession(port: number, db: MariadbServer, table: string): Promise<void> {
  const connection = await connectTo(port, db, { multipleStatements: true });
  try {
    await connection.query(`CREATE TABLE ${table} (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64), qty INT, data LONGBLOB)`);
    const rows = Array.from({ length: 3000 }, (_, i) => [`item-${i}`, i % 97]);
    const [inserted] = await connection.query<mysql.ResultSetHeader>(`INSERT INTO ${table} (name, qty) VALUES ?`, [rows]);
    assert.equal(inserted.affectedRows, 3000);

    const [all] = await connection.query<Row[]>(`SELECT id, name, qty FROM ${table} ORDER BY id`);
    assert.equal(all.length, 3000);
    assert.deepEqual({ ...all[2999] }, { id: 3000, name: 'item-2999', qty: 2999 % 97 });

    // Several statements: several result sets, an OK in the middle.
    const [results] = await connection.query<Row[][]>(
      `SELECT 1 AS one; SELECT name FROM ${table} WHERE id <= 3 ORDER BY id; UPDATE ${table} SET qty = 1000 WHERE id = 1; SELECT qty FROM ${table} WHERE id = 1`,
    );
    assert.equal(results.length, 4);
    assert.deepEqual(results[1]?.map((row) => row['name']), ['item-0', 'item-1', 'item-2']);
    assert.equal(results[3]?.[0]?.['qty'], 1000);

    // A stored procedure answers two result sets and an OK, chained by SERVER_MORE_RESULTS_EXISTS.
    await connection.query(`CREATE PROCEDURE ${table}_two() BEGIN SELECT COUNT(*) AS n FROM ${table}; SELECT MAX(id) AS top FROM ${table}; END`);
    const [called] = await connection.query<Row[][]>(`CALL ${table}_two()`);
    assert.equal(called[0]?.[0]?.['n'], 3000);
    assert.equal(called[1]?.[0]?.['top'], 3000);

    // Prepared statements: binary rows (which start with 0x00, like an OK packet).
    const [range] = await connection.execute<Row[]>(`SELECT id, name, qty FROM ${table} WHERE id BETWEEN ? AND ? ORDER BY id`, [10, 1500]);
    assert.equal(range.length, 1491);
    assert.deepEqual({ ...range[0] }, { id: 10, name: 'item-9', qty: 9 });
    const [none] = await connection.execute<Row[]>(`SELECT id FROM ${table} WHERE id = ?`, [-1]);
    assert.equal(none.length, 0);
    const statement = await connection.prepare(`SELECT name FROM ${table} WHERE id = ?`);
    const [byStatement] = (await statement.execute([42])) as [Row[], unknown];
    assert.equal(byStatement[0]?.['name'], 'item-41');
    await statement.close(); // COM_STMT_CLOSE: no answer

    // A 10 MB BLOB both ways.
    const blob = randomBytes(10 * 1024 * 1024);
    await connection.execute(`INSERT INTO ${table} (name, data) VALUES (?, ?)`, ['blob', blob]);
    const [blobRows] = await connection.query<Row[]>(`SELECT data FROM ${table} WHERE name = 'blob'`);
    assert.ok(Buffer.isBuffer(blobRows[0]?.['data']) && blobRows[0]['data'].equals(blob), 'the blob came back changed');

    // LOCAL INFILE: the client sends the file between the server's request and its OK.
    const [loaded] = await connection.query<mysql.ResultSetHeader>({
      sql: `LOAD DATA LOCAL INFILE 'items.tsv' INTO TABLE ${table} (name, qty)`,
      infileStreamFactory: () => Readable.from(['from-file-a\t1\n', 'from-file-b\t2\n'].map((line) => Buffer.from(line))),
    });
    assert.equal(loaded.affectedRows, 2);

    await connection.ping();
    await connection.query('USE other');
    const [database] = await connection.query<Row[]>('SELECT DATABASE() AS db');
    assert.equal(database[0]?.['db'], 'other');
    await connection.changeUser({ user: db.user, password: db.password, database: db.database });
    const [changed] = await connection.query<Row[]>(`SELECT DATABASE() AS db, COUNT(*) AS n FROM ${table}`);
    assert.deepEqual({ ...changed[0] }, { db: db.database, n: 3003 });
    await connection.reset();
    const [reset] = await connection.query<Row[]>('SELECT 7 AS seven');
    assert.equal(reset[0]?.['seven'], 7);
  } finally {
    await connection.end();
  }
}

test('a realistic mysql2 session crosses the dummy proxy byte for byte', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  // client → outer tee → proxy → inner tee → mariadb: both tees must see the same bytes.
  const inner = await startTee(t, db.port);
  const { port, proxy, warnings } = await proxyTo(t, `127.0.0.1:${inner.port}`);
  const outer = await startTee(t, port);
  await realisticSession(outer.port, db, 'realistic');
  await Promise.all([outer.settled(), inner.settled()]);
  for (const direction of ['request', 'response'] as const) {
    const sent = outer.bytes(direction);
    const seen = inner.bytes(direction);
    assert.equal(seen.length, sent.length, `${direction}: ${seen.length} bytes on one side, ${sent.length} on the other`);
    assert.ok(seen.equals(sent), `${direction} bytes differ`);
    assert.equal(proxy.stats().bytes[direction], sent.length);
  }
  assert.ok((proxy.stats().exchanges['dummy'] ?? 0) > 20, 'commands were framed as exchanges');
  assert.deepEqual(warnings, [], 'the framing never lost track');
});

test('an ed25519 login and COM_CHANGE_USER go through the server auth switch', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy, warnings } = await proxyTo(t, db.address);
  const authPlugins = { client_ed25519: ed25519AuthPlugin(db.ed25519Password) };
  const connection = await connectTo(port, db, { user: db.ed25519User, password: db.ed25519Password, authPlugins });
  t.after(() => connection.destroy());
  const [who] = await connection.query<Row[]>('SELECT CURRENT_USER() AS who');
  assert.equal(who[0]?.['who'], `${db.ed25519User}@%`);
  await connection.changeUser({ user: db.user, password: db.password });
  await connection.changeUser({ user: db.ed25519User, password: db.ed25519Password });
  const [again] = await connection.query<Row[]>('SELECT CURRENT_USER() AS who');
  assert.equal(again[0]?.['who'], `${db.ed25519User}@%`);
  // query, 2 × COM_CHANGE_USER, query: the greeting, the login packets and the AuthSwitchResponses
  // (mysql2 offers the previous user's plugin, the server switches) are the handshake, not drawn.
  assert.equal(proxy.stats().exchanges['dummy'], 4);
  assert.deepEqual(warnings, []);
});

test('a BLOB over 16 MiB crosses in continued packets, both ways', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, warnings } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  await connection.query('CREATE TABLE huge (id INT PRIMARY KEY, data LONGBLOB)');
  const blob = randomBytes(0xffffff + 1000);
  await connection.execute('INSERT INTO huge VALUES (1, ?)', [blob]);
  const [rows] = await connection.query<Row[]>('SELECT data FROM huge WHERE id = 1');
  assert.ok(Buffer.isBuffer(rows[0]?.['data']) && rows[0]['data'].equals(blob));
  const [binary] = await connection.execute<Row[]>('SELECT id, data FROM huge WHERE id = ?', [1]);
  assert.ok(Buffer.isBuffer(binary[0]?.['data']) && binary[0]['data'].equals(blob));
  await connection.ping();
  assert.deepEqual(warnings, []);
});

test('the mariadb command-line tools give the same output through the proxy, with and without TLS', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const client = findBinary('mariadb', 'mysql');
  const admin = findBinary('mariadb-admin', 'mysqladmin');
  if (client === undefined || admin === undefined) return t.skip('the mariadb command-line client is not installed');
  const { port, proxy, warnings } = await proxyTo(t, db.address);
  const sql = "SELECT 1; SELECT 2 AS a, 'x' AS b UNION SELECT 3, NULL; USE other; SELECT DATABASE(); CREATE TEMPORARY TABLE cli (v INT); INSERT INTO cli VALUES (5); SELECT * FROM cli";
  const cli = (target: number, ...extra: string[]): Promise<string> =>
    run(client, ['--no-defaults', '-h127.0.0.1', `-P${target}`, `-u${db.user}`, `-p${db.password}`, ...extra, db.database, '-e', sql]).then((out) => out.stdout);
  const status = (target: number, ...extra: string[]): Promise<string> =>
    run(admin, ['--no-defaults', '-h127.0.0.1', `-P${target}`, `-u${db.user}`, `-p${db.password}`, ...extra, 'ping', 'status']).then((out) => out.stdout);

  const direct = await cli(db.port, '--skip-ssl');
  assert.match(direct, /other/);
  assert.equal(await cli(port, '--skip-ssl'), direct);
  const framed = proxy.stats().exchanges['dummy'] ?? 0;
  assert.ok(framed >= 9, `commands of the plain session were framed (${framed} exchanges)`);
  if (db.tls) {
    const before = proxy.stats().exchanges['dummy'] ?? 0;
    assert.equal(await cli(port, '--ssl'), direct);
    assert.equal(proxy.stats().exchanges['dummy'], before, 'with TLS nothing is drawn: the greeting is the handshake, the rest passes raw');
  }
  // COM_PING and COM_STATISTICS (a raw string answer).
  const viaProxy = await status(port, '--skip-ssl');
  assert.match(viaProxy, /mysqld is alive/);
  assert.match(viaProxy, /Uptime: \d+/);
  assert.deepEqual(warnings, [], 'metadata caching, TLS and COM_STATISTICS were all followed');
});

test('compression is passed through raw: a proxy set to error leaves the compressed session alone', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db, { compress: true });
  t.after(() => connection.destroy());
  proxy.setBehavior('100:error');
  const [rows] = await connection.query<Row[]>('SELECT REPEAT("z", 100000) AS z');
  assert.equal(rows[0]?.['z'], 'z'.repeat(100000));
});

// ---- behaviors on single commands of one connection ---------------------------------------------

test('30:error on 1000 queries of one connection fails ≈300 with 1105/HY000 and answers the rest right', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  proxy.setBehavior('30:error'); // after the login, so every exchange from here is a query
  const failed = await countInjectedQueryErrors(connection, 1000);
  // Binomial(1000, 0.3): mean 300, sigma ≈ 14.5; ±5 sigma.
  assert.ok(failed >= 228 && failed <= 372, `${failed} errors`);
  proxy.setBehavior('100:dummy');
  const [rows] = await connection.query<Row[]>('SELECT 1 AS still');
  assert.equal(rows[0]?.['still'], 1);
});

test('over TLS that vaurien terminates (a stunnel-style tunnel), mysql2 logs in and 50:error fails single queries with 1105', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy } = await startTestProxy(t, { backend: db.address, protocol: 'mysql', tls: await signedCertificate() });
  const ca = (await testAuthority()).cert;
  // MySQL clients negotiate TLS inside the protocol; implicit TLS (a tunnel) is what vaurien terminates.
  const connection = await connectTo(port, db, { stream: () => tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca }) });
  t.after(() => connection.destroy());
  proxy.setBehavior('50:error'); // the login went through untouched (handshake left alone)
  const failed = await countInjectedQueryErrors(connection, 60);
  assert.ok(failed >= 15 && failed <= 45, `${failed} of 60 queries failed under 50:error`);
  proxy.setBehavior('100:dummy');
  const [rows] = await connection.query<Row[]>('SELECT CURRENT_USER() AS who');
  assert.match(String(rows[0]?.['who']), new RegExp(`^${db.user}@`));
});

test('100:error lets every login through and fails every query with 1105; the connection stays usable', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy } = await proxyTo(t, db.address, '100:error');
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  for (let i = 0; i < 3; i++) {
    const error = await rejection(connection.query('SELECT 1 AS one'));
    assert.deepEqual([error.errno, error.sqlState, error.message], [1105, 'HY000', 'vaurien injected error']);
  }
  proxy.setBehavior('100:dummy');
  const [rows] = await connection.query<Row[]>('SELECT 1 AS one');
  assert.equal(rows[0]?.['one'], 1);
});

test('the mariadb client under 100:error logs in and reports the query\'s ERROR 1105', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const client = findBinary('mariadb', 'mysql');
  if (client === undefined) return t.skip('the mariadb command-line client is not installed');
  const { port } = await proxyTo(t, db.address, '100:error');
  const failed = await run(client, ['--no-defaults', '--skip-ssl', '-h127.0.0.1', `-P${port}`, `-u${db.user}`, `-p${db.password}`, db.database, '-e', 'SELECT 1']).then(
    () => assert.fail('the query succeeded'),
    (error: { stderr: string }) => error.stderr,
  );
  assert.match(failed, /^ERROR 1105 \(HY000\) at line 1: vaurien injected error$/m);
});

test('with handshake=true, 100:error answers the greeting with an ERR: mysql2 fails to connect with 1105', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port } = await startTestProxy(t, { backend: db.address, protocol: 'mysql', behavior: '100:error', protocolOptions: { handshake: true } });
  const error = await rejection(connectTo(port, db));
  assert.equal(error.errno, 1105);
  assert.equal(error.message, 'vaurien injected error');
});

test('with handshake=true, an error on the login packet fails the login with 1105/HY000 and closes the connection', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  // warmup 1: the greeting goes through, the HandshakeResponse gets the error.
  const proxy = await startTestProxy(t, {
    backend: db.address,
    protocol: 'mysql',
    behavior: '100:error',
    behaviorOptions: { error: { warmup: 1 } },
    protocolOptions: { handshake: true },
  });
  const error = await rejection(connectTo(proxy.port, db));
  assert.deepEqual([error.errno, error.sqlState, error.message], [1105, 'HY000', 'vaurien injected error']);
});

test('error on prepared statements: PREPARE fails with 1105 and the statement works once the proxy is dummy', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  proxy.setBehavior('100:error');
  const error = await rejection(connection.execute('SELECT ? + 1 AS next', [41]));
  assert.equal(error.errno, 1105);
  proxy.setBehavior('100:dummy');
  const [rows] = await connection.execute<Row[]>('SELECT ? + 1 AS next', [41]);
  assert.equal(Number(rows[0]?.['next']), 42);
});

test('delay holds every query for `sleep` seconds, not the login (unless handshake=true)', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const delay = { delay: { sleep: 0.2 } };
  const proxy = await startTestProxy(t, { backend: db.address, protocol: 'mysql', behavior: '100:delay', behaviorOptions: delay });
  const withHandshake = await startTestProxy(t, { backend: db.address, protocol: 'mysql', behavior: '100:delay', behaviorOptions: delay, protocolOptions: { handshake: true } });
  let started = performance.now();
  const held = await connectTo(withHandshake.port, db);
  // With handshake=true the greeting and the login packet are each held.
  assert.ok(performance.now() - started >= 390, 'the login was not delayed with handshake=true');
  held.destroy();
  started = performance.now();
  const connection = await connectTo(proxy.port, db);
  t.after(() => connection.destroy());
  // Two held handshake steps would take 400 ms: the login is not delayed.
  assert.ok(performance.now() - started < 350, `the login took ${performance.now() - started} ms`);
  for (let i = 0; i < 3; i++) {
    const at = performance.now();
    const [rows] = await connection.query<Row[]>('SELECT ? AS value', [i]);
    const elapsed = performance.now() - at;
    assert.equal(rows[0]?.['value'], i);
    assert.ok(elapsed >= 190 && elapsed < 2000, `query took ${elapsed} ms`);
  }
});

test('hang swallows a query: the client times out and the backend never ran it', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE IF NOT EXISTS chaos.hung (id INT)');
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  proxy.setBehavior('100:hang');
  const error = await rejection(connection.query({ sql: 'INSERT INTO hung VALUES (1)', timeout: 300 }));
  assert.equal(error.code, 'PROTOCOL_SEQUENCE_TIMEOUT');
  const [rows] = await db.admin.query<Row[]>('SELECT COUNT(*) AS n FROM chaos.hung');
  assert.equal(Number(rows[0]?.['n']), 0);
});

test('blackout closes the client at once: the query fails and never reaches the backend', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE IF NOT EXISTS chaos.blacked (id INT)');
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  proxy.setBehavior('100:blackout');
  const error = await rejection(connection.query('INSERT INTO blacked VALUES (1)'));
  assert.match(String(error.code), /PROTOCOL_CONNECTION_LOST|ECONNRESET/);
  const [rows] = await db.admin.query<Row[]>('SELECT COUNT(*) AS n FROM chaos.blacked');
  assert.equal(Number(rows[0]?.['n']), 0);
});

test('abort forwards the INSERT, which the backend runs, then the client sees a closed connection', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE IF NOT EXISTS chaos.aborted (id INT)');
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  proxy.setBehavior('100:abort');
  const error = await rejection(connection.query('INSERT INTO aborted VALUES (7)'));
  assert.match(String(error.code), /PROTOCOL_CONNECTION_LOST|ECONNRESET/);
  let count = 0;
  for (const deadline = performance.now() + 5000; count === 0 && performance.now() < deadline; ) {
    const [rows] = await db.admin.query<Row[]>('SELECT COUNT(*) AS n FROM chaos.aborted WHERE id = 7');
    count = Number(rows[0]?.['n']);
    if (count === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(count, 1, 'the backend never ran the INSERT');
});

test('transient fails the first `agitate` queries with 1105, then the connection works', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  proxy.setBehavior('100:transient', { transient: { agitate: 3 } });
  const outcomes: Array<number | string> = [];
  for (let i = 0; i < 6; i++) {
    try {
      const [rows] = await connection.query<Row[]>('SELECT ? AS value', [i]);
      outcomes.push(rows[0]?.['value'] as number);
    } catch (error) {
      outcomes.push(`errno ${(error as { errno?: number }).errno}`);
    }
  }
  assert.deepEqual(outcomes, ['errno 1105', 'errno 1105', 'errno 1105', 3, 4, 5]);
});

test('error with inject corrupts the answer: mysql2 reports it, and the proxy keeps serving', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const { port, proxy } = await proxyTo(t, db.address);
  const connection = await connectTo(port, db);
  t.after(() => connection.destroy());
  proxy.setBehavior('100:error', { error: { inject: true } });
  // The first packet of the answer (the column count) gets flipped bits.
  const outcome = await connection
    .query({ sql: "SELECT 'hello' AS greeting", timeout: 1000 })
    .then(([rows]) => ({ rows: JSON.stringify(rows) }))
    .catch((error: { code?: string; message: string }) => ({ error: error.code ?? error.message }));
  t.diagnostic(`mysql2 under inject: ${JSON.stringify(outcome)}`);
  assert.notDeepEqual(outcome, { rows: JSON.stringify([{ greeting: 'hello' }]) }, 'the answer was not corrupted');
  assert.ok((proxy.stats().faults['error'] ?? 0) >= 1);
  proxy.setBehavior('100:dummy');
  const fresh = await connectTo(port, db);
  const [rows] = await fresh.query<Row[]>('SELECT 1 AS ok');
  assert.equal(rows[0]?.['ok'], 1);
  await fresh.end();
});

// ---- recorded sessions under random chunking --------------------------------------------------

/** Frames recorded segments in order, split at `cuts`, as a connection's two pipelines would. */
function frameRecorded(segments: readonly Segment[], cuts: readonly number[], buffer: number): Message[] {
  const forwarded: ForwardedRequest[] = [];
  let latest = 0;
  const context: FramerContext = {
    openExchange: () => ++latest,
    nextForwarded: () => forwarded.shift(),
    get latestExchange() {
      return latest;
    },
    log: silentLogger,
  };
  const options = { buffer, keep_alive: false, reuse_socket: false, handshake: false };
  const framers = mysqlProtocol.createFramers(options, context);
  const out: Message[] = [];
  const take = (messages: Iterable<Message>): void => {
    for (const message of messages) {
      out.push(message);
      if (message.direction === 'request' && message.first && message.exchange !== 0 && message.noReply !== true) forwarded.push({ exchange: message.exchange, info: message.info });
    }
  };
  for (const segment of segments) for (const chunk of splitAt(segment.bytes, cuts)) take(framers[segment.from].push(chunk));
  take(framers.request.end());
  take(framers.response.end());
  return out;
}

test('recorded real sessions frame identically under any chunking, every answer complete', TIMEOUT, async (t) => {
  const db = await mariadb.get(t);
  if (db === undefined) return;
  const tee = await startTee(t, db.port);
  const authPlugins = { client_ed25519: ed25519AuthPlugin(db.ed25519Password) };
  const connection = await connectTo(tee.port, db, { user: db.ed25519User, password: db.ed25519Password, authPlugins, multipleStatements: true });
  await connection.query('CREATE TABLE recorded (id INT PRIMARY KEY, v VARCHAR(20))');
  await connection.query('INSERT INTO recorded VALUES (1, "a"), (2, NULL), (3, ""); SELECT * FROM recorded; SELECT 1; DO 1');
  await connection.execute('SELECT * FROM recorded WHERE id > ?', [1]);
  await connection.execute('INSERT INTO recorded VALUES (?, ?)', [4, 'd']);
  await connection.query({ sql: "LOAD DATA LOCAL INFILE 'x' INTO TABLE recorded", infileStreamFactory: () => Readable.from(['5\te\n'].map((line) => Buffer.from(line))) });
  await rejection(connection.query('SELEKT nonsense'));
  await connection.ping();
  await connection.changeUser({ user: db.user, password: db.password });
  await connection.end();
  await tee.settled();
  const segments = [...tee.segments];

  const whole = frameRecorded(segments, [], 1 << 20);
  const shape = (messages: readonly Message[]): string[] => messages.map((m) => `${m.direction} ${m.exchange} ${m.first} ${m.last} ${String(m.info?.['command'] ?? '')} ${m.bytes.toString('hex')}`);
  // Every request but COM_STMT_CLOSE/COM_QUIT got an answer that ended.
  const requests = whole.filter((m) => m.direction === 'request' && m.first && m.exchange !== 0 && m.noReply !== true).length;
  const answers = whole.filter((m) => m.direction === 'response' && m.last && m.exchange !== 0).length;
  assert.equal(answers, requests + 1, 'each request (and the greeting) got one complete answer');
  assert.ok(whole.every((m) => m.exchange !== 0 || m.info?.['command'] === 'LOCAL_INFILE_DATA'), 'nothing fell out of framing');
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 40 }), fc.constantFrom(1 << 20, 64, 7), (cuts, buffer) => {
      const reference = buffer === 1 << 20 ? whole : frameRecorded(segments, [], buffer);
      const chunked = frameRecorded(segments, cuts, buffer);
      assert.deepEqual(shape(chunked), shape(reference));
    }),
    { numRuns: 60 },
  );
});
