// The postgres protocol against a private PostgreSQL server, with the pg client, psql and raw
// protocol connections: sessions cross byte for byte (large bytea, COPY both ways, pipelined
// extended queries, transactions, LISTEN/NOTIFY), TLS and cancel connections pass through,
// and recorded real sessions frame the same whatever the chunking.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import type pg from 'pg';
import type { Message } from '../../lib/contract/message.js';
import type { ForwardedRequest, FramerContext } from '../../lib/contract/protocol.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { postgres as postgresProtocol } from '../../plugins/protocols/postgres.js';
import { splitAt } from '../helpers/framing.js';
import { pgClient, psql, RawPg, serialize } from '../helpers/postgres-clients.js';
import { sharedPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startTee, type Segment } from '../helpers/tee.js';

const server = sharedPostgres();
after(() => server.stop());

const TIMEOUT = { timeout: 60_000 };

/** A postgres proxy whose warnings (malformed data) and info lines are kept. */
async function proxyTo(t: TestContext, backend: string, behavior = '100:dummy'): Promise<TestProxy & { warnings: string[]; infos: string[] }> {
  const warnings: string[] = [];
  const infos: string[] = [];
  const log: Logger = { ...silentLogger, warning: (line) => void warnings.push(line), info: (line) => void infos.push(line) };
  return { ...(await startTestProxy(t, { backend, protocol: 'postgres', behavior, log })), warnings, infos };
}

const until = async (condition: () => boolean, what: string): Promise<void> => {
  for (const deadline = performance.now() + 5000; !condition(); ) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A realistic pg session: transactions, parameterized and named statements, a large bytea, notices, errors, rows read in batches, notifications. */
async function realisticSession(t: TestContext, port: number, db: PostgresServer, table: string, blobBytes = 8 * 1024 * 1024): Promise<void> {
  const client = pgClient(t, port, db);
  await client.connect();
  const notifications: string[] = [];
  client.on('notification', (message) => void notifications.push(message.payload ?? ''));
  const notices: string[] = [];
  client.on('notice', (notice) => void notices.push(notice.message ?? ''));

  await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, name text, qty int, data bytea)`);
  await client.query('BEGIN');
  for (let i = 0; i < 200; i++) await client.query(`INSERT INTO ${table} (name, qty) VALUES ($1, $2)`, [`item-${i}`, i % 97]);
  await client.query('COMMIT');
  const all = await client.query(`SELECT id, name, qty FROM ${table} ORDER BY id`);
  assert.equal(all.rows.length, 200);
  assert.deepEqual(all.rows[199], { id: 200, name: 'item-199', qty: 199 % 97 });

  // Several statements in one simple query: several results, one ReadyForQuery.
  const results = (await client.query(`SELECT 1 AS one; SELECT count(*)::int AS n FROM ${table}; UPDATE ${table} SET qty = 1000 WHERE id = 1`)) as unknown as pg.QueryResult[];
  assert.equal(results.length, 3);
  assert.equal(results[1]?.rows[0]?.['n'], 200);

  // A named statement, prepared once and bound again.
  for (let id = 1; id <= 3; id++) {
    const named = await client.query({ name: 'by-id', text: `SELECT name FROM ${table} WHERE id = $1`, values: [id] });
    assert.equal(named.rows[0]?.['name'], `item-${id - 1}`);
  }

  // A bytea both ways (8 MB: one Bind, one DataRow, each streamed in pieces).
  const blob = randomBytes(blobBytes);
  await client.query(`INSERT INTO ${table} (name, data) VALUES ('blob', $1)`, [blob]);
  const back = await client.query<{ data: Buffer }>(`SELECT data FROM ${table} WHERE name = 'blob'`);
  assert.ok(back.rows[0]?.data.equals(blob), 'the bytea came back changed');

  // A NOTICE ahead of the answer, a syntax error, and the session goes on.
  await client.query(`DROP TABLE IF EXISTS ${table}_missing`);
  assert.match(notices.join(), /does not exist, skipping/);
  await assert.rejects(client.query('SELEKT 1'), { code: '42601' });

  // Rows read 10 at a time: Execute and Flush, the client waiting at each PortalSuspended.
  const batched = await client.query({ text: `SELECT id FROM ${table} WHERE id <= $1 ORDER BY id`, values: [25], rows: 10 } as pg.QueryConfig);
  assert.deepEqual(batched.rows.map((row: { id: number }) => row.id), Array.from({ length: 25 }, (_, i) => i + 1));

  // Notifications that arrive between queries, sent from another session.
  await client.query('LISTEN jobs');
  await db.admin.query("NOTIFY jobs, 'first'");
  await db.admin.query("NOTIFY jobs, 'second'");
  await until(() => notifications.length === 2, 'two notifications');
  assert.deepEqual(notifications, ['first', 'second']);
  const still = await client.query('SELECT 42 AS answer');
  assert.equal(still.rows[0]?.['answer'], 42);
  await client.end();
}

test('a realistic pg session crosses the dummy proxy byte for byte', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  // client → outer tee → proxy → inner tee → postgres: both tees must see the same bytes.
  const inner = await startTee(t, db.port);
  const { port, proxy, warnings } = await proxyTo(t, `127.0.0.1:${inner.port}`);
  const outer = await startTee(t, port);
  await realisticSession(t, outer.port, db, 'realistic');
  await Promise.all([outer.settled(), inner.settled()]);
  for (const direction of ['request', 'response'] as const) {
    const sent = outer.bytes(direction);
    const seen = inner.bytes(direction);
    assert.equal(seen.length, sent.length, `${direction}: ${seen.length} bytes on one side, ${sent.length} on the other`);
    assert.ok(seen.equals(sent), `${direction} bytes differ`);
    assert.equal(proxy.stats().bytes[direction], sent.length);
  }
  // 200 inserts and the other queries, each an exchange; the login is the handshake, not drawn.
  assert.ok((proxy.stats().exchanges['dummy'] ?? 0) > 210, `${proxy.stats().exchanges['dummy']} exchanges`);
  assert.deepEqual(warnings, [], 'the framing never lost track');
});

test('psql: COPY FROM STDIN and COPY TO STDOUT through the proxy give what a direct session gives', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const { port, proxy, warnings } = await proxyTo(t, db.address);
  await db.admin.query('CREATE TABLE copied (id int, line text)');
  const lines = Array.from({ length: 30_000 }, (_, i) => `${i}\tline ${i} ${'x'.repeat(i % 50)}\n`).join('');
  const copyIn = await psql(db, port, ['-c', 'COPY copied FROM STDIN'], { input: lines });
  assert.equal(copyIn.code, 0, copyIn.stderr);
  assert.equal(copyIn.stdout.trim(), 'COPY 30000');
  const copyOut = 'COPY (SELECT * FROM copied ORDER BY id) TO STDOUT';
  const proxied = await psql(db, port, ['-c', copyOut]);
  const direct = await psql(db, db.port, ['-c', copyOut]);
  assert.equal(proxied.code, 0, proxied.stderr);
  assert.equal(proxied.stdout, direct.stdout);
  assert.equal(proxied.stdout, lines);
  // A COPY the client fails: psql reports the server's error, and the next command runs.
  const failed = await psql(db, port, ['-v', 'ON_ERROR_STOP=0', '-c', 'COPY copied FROM STDIN', '-c', 'SELECT count(*) FROM copied'], { input: '1\tok\nnot a number\tbad\n' });
  assert.match(failed.stderr, /invalid input syntax for type integer/);
  assert.match(failed.stdout, /30000/);
  // psql's SSLRequest was answered N (the server has no TLS): framed, one exchange per command.
  assert.ok((proxy.stats().exchanges['dummy'] ?? 0) >= 4);
  assert.deepEqual(warnings, []);
});

test('50 pipelined extended queries (50 Syncs in flight) are answered in order; extended COPY FROM STDIN keeps its Syncs', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const { port, warnings } = await proxyTo(t, db.address);
  const raw = await RawPg.open(t, port, db);
  const batch: Buffer[] = [];
  for (let i = 0; i < 50; i++) batch.push(serialize.parse({ text: 'SELECT $1::int * 2 AS doubled' }), serialize.bind({ values: [String(i)] }), serialize.execute(), serialize.sync());
  raw.send(...batch);
  const answers = await raw.readyCount(50);
  const rows = answers.filter((message) => message.name === 'dataRow').map((message) => String(message.fields?.[0]));
  assert.deepEqual(rows, Array.from({ length: 50 }, (_, i) => String(i * 2)));

  // libpq's extended COPY: Parse/Bind/Describe/Execute/Sync, CopyData after CopyInResponse, then CopyDone and another Sync.
  await db.admin.query('CREATE TABLE piped (line text)');
  raw.messages.length = 0;
  raw.send(serialize.parse({ text: 'COPY piped FROM STDIN' }), serialize.bind(), serialize.describe({ type: 'P' }), serialize.execute(), serialize.sync());
  await raw.until((messages) => messages.some((message) => message.name === 'copyInResponse'));
  raw.send(serialize.copyData(Buffer.from('a\nb\n')), serialize.copyData(Buffer.from('c\n')), serialize.copyDone(), serialize.sync());
  const copied = await raw.readyCount(1);
  assert.ok(copied.some((message) => message.name === 'commandComplete' && message.text === 'COPY 3'));
  raw.messages.length = 0;
  raw.send(serialize.query('SELECT count(*) FROM piped'));
  const counted = await raw.readyCount(1);
  assert.equal(String(counted.find((message) => message.name === 'dataRow')?.fields?.[0]), '3');
  assert.deepEqual(warnings, []);
});

test('psql with sslmode=require: the server accepts TLS, the session passes through raw (one log line) even under 100:error', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  if (!db.tlsAvailable) {
    if (process.env['CI'] === 'true') assert.fail('openssl is missing: the TLS test cannot run');
    return t.skip('openssl is not installed: no certificate for the server');
  }
  await db.setTls(true);
  t.after(() => db.setTls(false));
  const { port, proxy, warnings, infos } = await proxyTo(t, db.address, '100:error');
  const run = await psql(db, port, ['-t', '-A', '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { sslmode: 'require' });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), 't', 'the session was not encrypted');
  assert.deepEqual(infos.filter((line) => line.includes('TLS')).length, 1, infos.join('\n'));
  assert.equal(proxy.stats().faults['error'] ?? 0, 0, 'an encrypted query was given a behavior');
  assert.deepEqual(warnings, []);
});

test('a CancelRequest through the proxy cancels the query running on another proxied connection', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const { port, warnings } = await proxyTo(t, db.address);
  const client = pgClient(t, port, db);
  await client.connect();
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  const started = performance.now();
  const sleeping = client.query('SELECT pg_sleep(20)');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const canceller = connect({ port, host: '127.0.0.1' });
  canceller.on('error', () => {});
  canceller.end(serialize.cancel(processID, secretKey));
  await assert.rejects(sleeping, { code: '57014' });
  assert.ok(performance.now() - started < 10_000, 'the query ran on');
  const after = await client.query('SELECT 1 AS one');
  assert.equal(after.rows[0]?.['one'], 1);
  assert.deepEqual(warnings, []);
});

// ---- recorded sessions under random chunking --------------------------------------------------

/** Frames recorded segments in order, split at `cuts`, as a connection's two pipelines would. */
function frameRecorded(segments: readonly Segment[], cuts: readonly number[], buffer: number): { messages: Message[]; warnings: string[] } {
  const forwarded: ForwardedRequest[] = [];
  const warnings: string[] = [];
  let latest = 0;
  let lastForwarded = 0;
  const context: FramerContext = {
    openExchange: () => ++latest,
    nextForwarded: () => forwarded.shift(),
    get latestExchange() {
      return latest;
    },
    log: { ...silentLogger, warning: (line) => void warnings.push(line) },
  };
  const framers = postgresProtocol.createFramers({ buffer, handshake: false, sqlstate: '57P01' }, context);
  const messages: Message[] = [];
  const take = (framed: Iterable<Message>): void => {
    for (const message of framed) {
      messages.push(message);
      if (message.direction === 'request' && message.exchange !== 0 && message.exchange !== lastForwarded) {
        lastForwarded = message.exchange;
        if (message.noReply !== true) forwarded.push({ exchange: message.exchange, info: message.info });
      }
    }
  };
  for (const segment of segments) for (const chunk of splitAt(segment.bytes, cuts)) take(framers[segment.from].push(chunk));
  take(framers.request.end());
  take(framers.response.end());
  return { messages, warnings };
}

test('recorded real sessions (pg, psql with COPY) frame identically under any chunking, every answer complete', TIMEOUT, async (t) => {
  const db = await server.get(t);
  if (db === undefined) return;
  const pgTee = await startTee(t, db.port);
  await realisticSession(t, pgTee.port, db, 'recorded', 64 * 1024);
  await pgTee.settled();
  const psqlTee = await startTee(t, db.port);
  await db.admin.query('CREATE TABLE recorded_copy (line text)');
  const copied = await psql(db, psqlTee.port, ['-c', 'COPY recorded_copy FROM STDIN', '-c', 'COPY recorded_copy TO STDOUT', '-c', 'BEGIN', '-c', 'SELEKT', '-c', 'ROLLBACK'], {
    input: Array.from({ length: 500 }, (_, i) => `line ${i}\n`).join(''),
  });
  assert.match(copied.stderr, /syntax error/);
  await psqlTee.settled();

  const shape = (messages: readonly Message[]): string[] => messages.map((m) => `${m.direction} ${m.exchange} ${m.first} ${m.last} ${String(m.info?.['command'] ?? '')} ${m.bytes.toString('hex')}`);
  for (const segments of [[...pgTee.segments], [...psqlTee.segments]]) {
    const whole = frameRecorded(segments, [], 1 << 20);
    assert.deepEqual(whole.warnings, []);
    // Every request but the Terminate got one complete answer; outside exchanges only the server's news.
    const requests = whole.messages.filter((m) => m.direction === 'request' && m.first && m.exchange !== 0 && m.noReply !== true).length;
    const answers = whole.messages.filter((m) => m.direction === 'response' && m.last && m.exchange !== 0).length;
    assert.equal(answers, requests, 'each request got one complete answer');
    const outside = whole.messages.filter((m) => m.exchange === 0).map((m) => String.fromCharCode(m.bytes[0] as number));
    assert.ok(outside.every((type) => type === 'A'), `outside exchanges: ${outside.join()}`);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), fc.constantFrom(1 << 20, 2048, 7), (cuts, buffer) => {
        const reference = buffer === 1 << 20 ? whole : frameRecorded(segments, [], buffer);
        assert.deepEqual(shape(frameRecorded(segments, cuts, buffer).messages), shape(reference.messages));
      }),
      { numRuns: 25 },
    );
  }
});
