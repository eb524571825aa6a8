// MariaDB clients that ask for TLS (the SSL request after the greeting) through a vaurien with
// TLS on both sides: vaurien terminates it with its own certificate and speaks TLS to the server,
// and `--protocol mysql` acts on single queries of the decrypted session, logins untouched.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { requireBinary } from '../helpers/backends.js';
import { certificateFiles, signedCertificate, testAuthority } from '../helpers/certificates.js';
import { recordingLogger, type RecordedLogger } from '../helpers/log-recorder.js';
import { countInjectedQueryErrors, type MariadbServer, sharedMariadb } from '../helpers/mariadb-server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const mariadb = sharedMariadb();
after(() => mariadb.stop());

const run = promisify(execFile);
const TIMEOUT = { timeout: 60_000 };
type Row = mysql.RowDataPacket;

/** The file's server, with TLS (openssl made it a certificate for 127.0.0.1); undefined when skipped. */
async function tlsServer(t: TestContext): Promise<MariadbServer | undefined> {
  const db = await mariadb.get(t);
  if (db === undefined) return undefined;
  if (!db.tls) {
    if (process.env['CI'] === 'true') assert.fail('openssl is missing: the server has no certificate');
    t.skip('openssl is not installed: the server has no TLS');
    return undefined;
  }
  return db;
}

/** A mysql proxy with TLS toward clients (the test CA's certificate) and toward the server (checked against its own certificate). */
async function terminatingProxy(t: TestContext, db: MariadbServer, behavior = '100:dummy'): Promise<TestProxy & { log: RecordedLogger }> {
  const log = recordingLogger('info');
  const proxy = await startTestProxy(t, {
    backend: db.address,
    protocol: 'mysql',
    behavior,
    tls: await signedCertificate(),
    backendTls: { caFile: join(db.directory, 'cert.pem') },
    log,
  });
  return { ...proxy, log };
}

async function connectTo(t: TestContext, port: number, db: MariadbServer, extra: mysql.ConnectionOptions = {}): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: db.user,
    password: db.password,
    database: db.database,
    connectTimeout: 10_000,
    // Only vaurien's certificate verifies (the server's is self-signed): the TLS is vaurien's.
    ssl: { ca: (await testAuthority()).cert },
    ...extra,
  });
  t.after(() => connection.destroy());
  return connection;
}

test('the mariadb client with --ssl logs in through vaurien\'s TLS, gets the same output, and 100:error fails each query with ERROR 1105', TIMEOUT, async (t) => {
  const db = await tlsServer(t);
  const client = requireBinary(t, 'mariadb', 'mysql');
  if (db === undefined || client === undefined) return;
  const { port, proxy, log } = await terminatingProxy(t, db);
  const { caFile } = await certificateFiles(await signedCertificate());
  const sql = "SELECT 1; SELECT 2 AS a, 'x' AS b UNION SELECT 3, NULL; SHOW SESSION STATUS LIKE 'Ssl_version'";
  const cli = (target: number, query: string, ...tls: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(client, ['--no-defaults', '-h127.0.0.1', `-P${target}`, `-u${db.user}`, `-p${db.password}`, ...tls, db.database, '-e', query]).then(
      (out) => out,
      (error: { stdout: string; stderr: string }) => error,
    );

  const direct = await cli(db.port, sql, '--ssl', `--ssl-ca=${join(db.directory, 'cert.pem')}`, '--ssl-verify-server-cert');
  assert.match(direct.stdout, /Ssl_version\tTLSv1\.[23]/);
  // --ssl-verify-server-cert against the test CA: the client's TLS is vaurien's; Ssl_version: so is the server's.
  const through = await cli(port, sql, '--ssl', `--ssl-ca=${caFile}`, '--ssl-verify-server-cert');
  assert.equal(through.stdout, direct.stdout, through.stderr);

  proxy.setBehavior('100:error');
  const failed = await cli(port, 'SELECT 1', '--ssl', `--ssl-ca=${caFile}`, '--ssl-verify-server-cert');
  assert.equal(failed.stdout, '');
  assert.match(failed.stderr, /^ERROR 1105 \(HY000\) at line 1: vaurien injected error$/m);
  assert.deepEqual(log.lines, []);
});

test('mysql2 with ssl: 30:error fails some of 300 queries with 1105, answers the rest right, and a 10 MB blob crosses byte-exact', TIMEOUT, async (t) => {
  const db = await tlsServer(t);
  if (db === undefined) return;
  const { port, proxy, log } = await terminatingProxy(t, db);
  const connection = await connectTo(t, port, db);
  const [cipher] = await connection.query<Row[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  assert.notEqual(cipher[0]?.['Value'], '', 'the server saw a plaintext session');

  proxy.setBehavior('30:error');
  const failed = await countInjectedQueryErrors(connection, 300);
  // Binomial(300, 0.3): mean 90, sigma ≈ 7.9; ±5 sigma.
  assert.ok(failed >= 50 && failed <= 130, `${failed} of 300 queries failed`);

  proxy.setBehavior('100:dummy');
  await connection.query('CREATE TABLE IF NOT EXISTS tls_blobs (id INT PRIMARY KEY, data LONGBLOB)');
  const blob = randomBytes(10 * 1024 * 1024);
  await connection.execute('INSERT INTO tls_blobs VALUES (1, ?)', [blob]);
  const [rows] = await connection.query<Row[]>('SELECT data FROM tls_blobs WHERE id = 1');
  assert.ok(Buffer.isBuffer(rows[0]?.['data']) && rows[0]['data'].equals(blob), 'the blob came back changed');
  assert.deepEqual(log.lines, []);
});

test('an SSL request and the ClientHello that arrive in one chunk: the bytes past the request go to TLS, and the login works', TIMEOUT, async (t) => {
  const db = await tlsServer(t);
  if (db === undefined) return;
  const { port, proxy } = await terminatingProxy(t, db, '100:error');
  const connection = await connectTo(t, port, db, { stream: () => firstWritesJoined(port) });
  const error = await connection.query('SELECT 1').then(
    () => assert.fail('the query went through 100:error'),
    (failure: { errno?: number }) => failure,
  );
  assert.equal(error.errno, 1105);
  proxy.setBehavior('100:dummy');
  const [rows] = await connection.query<Row[]>('SELECT CURRENT_USER() AS who');
  assert.match(String(rows[0]?.['who']), new RegExp(`^${db.user}@`));
});

/**
 * A connection to 127.0.0.1:`port` whose first write (the client's SSL request) is held and
 * leaves with the second (its ClientHello), in one TCP write: vaurien reads them as one chunk.
 */
function firstWritesJoined(port: number): Duplex {
  const socket = connect({ port, host: '127.0.0.1' });
  let held: Buffer | undefined;
  let writes = 0;
  const stream = new Duplex({
    write(chunk: Buffer, _encoding, done) {
      writes++;
      if (writes === 1) {
        held = chunk;
        done();
        return;
      }
      const bytes = held === undefined ? chunk : Buffer.concat([held, chunk]);
      held = undefined;
      socket.write(bytes, (error) => done(error ?? null));
    },
    read() {
      socket.resume();
    },
    final(done) {
      socket.end(done);
    },
    destroy(error, done) {
      socket.destroy();
      done(error);
    },
  });
  socket.on('data', (data: Buffer) => {
    if (!stream.push(data)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (error) => stream.destroy(error));
  return stream;
}
