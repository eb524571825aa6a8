// Behaviors on single queries of a PostgreSQL connection, as pg and psql see them: the injected
// error is a normal SQL error (DatabaseError with the SQLSTATE) that leaves the session usable,
// inside a transaction too; the login is left alone unless `handshake` is true; delay, hang,
// abort and blackout act per query; inject garbles a message without desynchronising psql.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgClient, psql, type Login } from '../helpers/postgres-clients.js';
import { sharedPostgres } from '../helpers/postgres-server.js';
import { startTcpServer } from '../helpers/sockets.js';
import { startTestProxy } from '../helpers/proxy.js';

const server = sharedPostgres();
after(() => server.stop());

const TIMEOUT = { timeout: 60_000 };
const INJECTED = { name: 'error', severity: 'ERROR', message: 'vaurien injected error' };

async function count(t: TestContext, table: string): Promise<number> {
  const db = await server.get(t);
  const { rows } = await (db as NonNullable<typeof db>).admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? -1;
}

test('100:error: scram, md5 and trust logins succeed, every query fails with 57P01, and the session stays usable', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const { proxy, port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:error' });
  for (const login of ['scram', 'md5', 'trust'] as Login[]) {
    const client = pgClient(t, port, db, login);
    await client.connect();
    await assert.rejects(client.query('SELECT 1'), { ...INJECTED, code: '57P01' }, `${login}: simple query`);
    await assert.rejects(client.query('SELECT $1::int AS n', [7]), { ...INJECTED, code: '57P01' }, `${login}: extended query`);
    assert.equal(client.getTransactionStatus(), 'I');
  }
  // The same connection, once the proxy is back to dummy.
  const client = pgClient(t, port, db);
  await client.connect();
  await assert.rejects(client.query('SELECT 1'), { code: '57P01' });
  proxy.setBehavior('100:dummy');
  const { rows } = await client.query('SELECT $1::int + 1 AS n', [41]);
  assert.equal(rows[0]?.['n'], 42);
  assert.deepEqual(client.errors, []);
});

test('the protocol option sqlstate sets the SQLSTATE pg reports', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const { port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:error', protocolOptions: { sqlstate: '40001' } });
  const client = pgClient(t, port, db);
  await client.connect();
  await assert.rejects(client.query('SELECT 1'), { ...INJECTED, code: '40001' });
});

test('an injected error inside a transaction: pg sees it aborted (E), ROLLBACK works, nothing was written', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE in_tx (id int)');
  const { proxy, port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres' });
  const client = pgClient(t, port, db);
  await client.connect();
  await client.query('BEGIN');
  await client.query('INSERT INTO in_tx VALUES (1)');
  assert.equal(client.getTransactionStatus(), 'T');
  proxy.setBehavior('100:error');
  await assert.rejects(client.query('INSERT INTO in_tx VALUES ($1)', [2]), { code: '57P01' });
  assert.equal(client.getTransactionStatus(), 'E', 'the client was not told its transaction failed');
  proxy.setBehavior('100:dummy');
  await client.query('ROLLBACK');
  assert.equal(client.getTransactionStatus(), 'I');
  assert.equal(await count(t, 'in_tx'), 0);
  const { rows } = await client.query('SELECT 1 AS one');
  assert.equal(rows[0]?.['one'], 1);
});

test('psql under transient: BEGIN passes, the INSERT gets the injected ERROR with its SQLSTATE, ROLLBACK works', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE psql_tx (id int)');
  // warmup 1, agitate 2: the first query passes, the second errors, the rest pass.
  const { port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:transient', behaviorOptions: { transient: { warmup: 1, agitate: 2 } } });
  const dir = await mkdtemp(join(tmpdir(), 'vaurien-psql-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const script = join(dir, 'tx.sql');
  await writeFile(script, 'BEGIN;\nINSERT INTO psql_tx VALUES (1);\n\\echo sqlstate :LAST_ERROR_SQLSTATE\nROLLBACK;\nSELECT count(*) AS rows FROM psql_tx;\n');
  const run = await psql(db, port, ['-f', script]);
  assert.match(run.stderr, /ERROR: {2}vaurien injected error/);
  assert.match(run.stdout, /^BEGIN$/m);
  assert.match(run.stdout, /^sqlstate 57P01$/m);
  assert.match(run.stdout, /^ROLLBACK$/m);
  assert.match(run.stdout, /rows\s*\n-+\s*\n\s*0\s*\n/);
});

test('handshake: by default psql logs in and reports the query error; with handshake=true pg and psql get a FATAL login error', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const byDefault = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:error' });
  const query = await psql(db, byDefault.port, ['-c', 'SELECT 1']);
  assert.equal(query.code, 1);
  assert.match(query.stderr, /^ERROR: {2}vaurien injected error$/m);

  const strict = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:error', protocolOptions: { handshake: true } });
  const client = pgClient(t, strict.port, db);
  await assert.rejects(client.connect(), { name: 'error', severity: 'FATAL', code: '57P01', message: 'vaurien injected error' });
  const login = await psql(db, strict.port, ['-c', 'SELECT 1'], { sslmode: 'disable' });
  assert.equal(login.code, 2);
  assert.match(login.stderr, /FATAL: {2}vaurien injected error/);
  // psql's SSLRequest is part of the handshake too: libpq reports an error in the SSL exchange
  // (it does not show what an unauthenticated server says there).
  const negotiation = await psql(db, strict.port, ['-c', 'SELECT 1']);
  assert.equal(negotiation.code, 2);
  assert.match(negotiation.stderr, /error response during SSL exchange|FATAL: {2}vaurien injected error/);
});

test('delay holds every query for `sleep` seconds, not the login (unless handshake=true); before=false runs it at once', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE delayed (id int)');
  const delay = { delay: { sleep: 0.2 } };
  const proxy = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:delay', behaviorOptions: delay });
  const strict = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:delay', behaviorOptions: delay, protocolOptions: { handshake: true } });

  // A SCRAM login is three handshake exchanges: held with handshake=true, not otherwise.
  let started = performance.now();
  await pgClient(t, strict.port, db).connect();
  assert.ok(performance.now() - started >= 3 * 190, `the login took ${performance.now() - started} ms with handshake=true`);
  started = performance.now();
  const client = pgClient(t, proxy.port, db);
  await client.connect();
  assert.ok(performance.now() - started < 3 * 190, `the login took ${performance.now() - started} ms`);
  for (let i = 0; i < 3; i++) {
    const at = performance.now();
    const { rows } = await client.query('SELECT $1::int AS value', [i]);
    const elapsed = performance.now() - at;
    assert.equal(rows[0]?.['value'], i);
    assert.ok(elapsed >= 190 && elapsed < 2000, `query took ${elapsed} ms`);
  }

  // before=false: the server runs the INSERT at once, the answer waits.
  proxy.proxy.setBehavior('100:delay', { delay: { sleep: 0.4, before: false } });
  started = performance.now();
  const inserting = client.query('INSERT INTO delayed VALUES (1)');
  for (const deadline = performance.now() + 350; (await count(t, 'delayed')) === 0 && performance.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(await count(t, 'delayed'), 1, 'the server had not run the INSERT before the delay ended');
  await inserting;
  assert.ok(performance.now() - started >= 390);
});

test('hang swallows a query: pg times out, the backend never ran it, the connection stays open', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE hung (id int)');
  const { proxy, port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres' });
  const client = pgClient(t, port, db, 'scram', { query_timeout: 300 });
  await client.connect();
  proxy.setBehavior('100:hang');
  await assert.rejects(client.query('INSERT INTO hung VALUES (1)'), /timeout/i);
  assert.equal(await count(t, 'hung'), 0);
  assert.equal(proxy.stats().connections.open, 1);
  assert.deepEqual(client.errors, []);
});

test('blackout closes the client at once: the query fails and never reaches the backend', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE blacked (id int)');
  const { proxy, port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres' });
  const client = pgClient(t, port, db);
  await client.connect();
  proxy.setBehavior('100:blackout');
  await assert.rejects(client.query('INSERT INTO blacked VALUES (1)'), /Connection terminated|ECONNRESET/);
  assert.equal(await count(t, 'blacked'), 0);
});

test('abort forwards the INSERT, which the backend runs, then the client sees a closed connection', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  await db.admin.query('CREATE TABLE aborted (id int)');
  const { proxy, port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres' });
  const client = pgClient(t, port, db);
  await client.connect();
  proxy.setBehavior('100:abort');
  await assert.rejects(client.query('INSERT INTO aborted VALUES (7)'), /Connection terminated|ECONNRESET/);
  let rows = 0;
  for (const deadline = performance.now() + 5000; rows === 0 && performance.now() < deadline; ) {
    rows = await count(t, 'aborted');
    if (rows === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(rows, 1, 'the backend never ran the INSERT');
});

test('30:error over 400 queries of one connection fails ≈120 with 57P01 and answers the rest right', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const { proxy, port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '30:error' });
  const client = pgClient(t, port, db);
  await client.connect();
  let failed = 0;
  for (let i = 0; i < 400; i++) {
    try {
      const { rows } = await client.query(i % 2 === 0 ? `SELECT ${i} AS value` : 'SELECT $1::int AS value', i % 2 === 0 ? [] : [i]);
      assert.equal(rows[0]?.['value'], i);
    } catch (error) {
      assert.equal((error as { code?: string }).code, '57P01', String(error));
      failed++;
    }
  }
  // Binomial(400, 0.3): mean 120, sigma ≈ 9.2; ±5 sigma.
  assert.ok(failed >= 74 && failed <= 166, `${failed} errors`);
  assert.equal(proxy.stats().faults['error'], failed);
});

test('error with inject garbles the answer inside its length: psql reports it, the proxy keeps serving', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const { proxy, port } = await startTestProxy(t, { backend: db.address, protocol: 'postgres', behavior: '100:error', behaviorOptions: { error: { inject: true } } });
  // Three answers whose first message (the RowDescription) is mostly a column name psql prints.
  const queries = Array.from({ length: 3 }, (_, i) => ['-c', `SELECT 'hello' AS "a column name long enough to be most of its row description ${i}"`]).flat();
  const clean = await psql(db, db.port, queries);
  const garbled = await psql(db, port, queries);
  t.diagnostic(`psql under inject: code ${garbled.code}, ${JSON.stringify(garbled.stderr || garbled.stdout)}`);
  assert.notDeepEqual([garbled.code, garbled.stdout], [clean.code, clean.stdout], 'the answer was not corrupted');
  // libpq read whole messages: it never reports a lost or out-of-step stream.
  assert.doesNotMatch(garbled.stderr, /lost synchronization|server closed the connection unexpectedly/);
  assert.ok((proxy.stats().faults['error'] ?? 0) >= 1);
  proxy.setBehavior('100:dummy');
  const again = await psql(db, port, queries);
  assert.equal(again.stdout, clean.stdout);
});

test('a backend that cannot be reached: pg and psql get a FATAL 08006 error, not a bare close', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const closed = await startTcpServer(t, () => {});
  await new Promise((resolve) => closed.server.close(resolve));
  const { port } = await startTestProxy(t, { backend: closed.address, protocol: 'postgres' });
  const client = pgClient(t, port, db);
  await assert.rejects(client.connect(), { severity: 'FATAL', code: '08006', message: 'vaurien: backend unavailable' });
  const run = await psql(db, port, ['-c', 'SELECT 1'], { sslmode: 'disable' });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /FATAL: {2}vaurien: backend unavailable/);
});
