// PostgreSQL clients that ask for TLS (an SSLRequest the server answers `S`) through a vaurien
// with TLS on both sides: vaurien terminates it with its own certificate and speaks TLS to the
// server, and `--protocol postgres` acts on single queries of the decrypted session.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { certificateFiles, signedCertificate, testAuthority } from '../helpers/certificates.js';
import { recordingLogger, type RecordedLogger } from '../helpers/log-recorder.js';
import { pgClient, psql } from '../helpers/postgres-clients.js';
import { sharedPostgres, type PostgresServer } from '../helpers/postgres-server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const server = sharedPostgres();
after(() => server.stop());

const TIMEOUT = { timeout: 60_000 };

/** The file's server with `ssl = on` for good (openssl made it a certificate for 127.0.0.1); undefined when skipped. */
async function tlsServer(t: TestContext): Promise<PostgresServer | undefined> {
  const db = await server.get(t);
  if (db === undefined) return undefined;
  if (!db.tlsAvailable) {
    if (process.env['CI'] === 'true') assert.fail('openssl is missing: the server has no certificate');
    t.skip('openssl is not installed: no certificate for the server');
    return undefined;
  }
  await db.setTls(true);
  return db;
}

/** A postgres proxy with TLS toward clients (the test CA's certificate) and toward the server (checked against its own certificate). */
async function terminatingProxy(t: TestContext, db: PostgresServer, behavior: string): Promise<TestProxy & { log: RecordedLogger }> {
  const log = recordingLogger('info');
  const proxy = await startTestProxy(t, {
    backend: db.address,
    protocol: 'postgres',
    behavior,
    tls: await signedCertificate(),
    backendTls: { caFile: join(db.directory, 'cert.pem') },
    log,
  });
  return { ...proxy, log };
}

test('psql sslmode=verify-full logs in over vaurien\'s TLS, every query fails with 57P01 under 100:error, and the server link is TLS too', TIMEOUT, async (t) => {
  const db = await tlsServer(t);
  if (db === undefined) return;
  const { port, proxy, log } = await terminatingProxy(t, db, '100:error');
  // verify-full against the test CA: only vaurien's certificate passes (the server's is
  // self-signed). SCRAM's channel binding exists to catch a TLS middle man: it is turned off.
  const { caFile } = await certificateFiles(await signedCertificate());
  const env = { PGSSLROOTCERT: caFile, PGCHANNELBINDING: 'disable' };
  const failed = await psql(db, port, ['-v', 'VERBOSITY=verbose', '-c', 'SELECT 1', '-c', 'SELECT 2'], { sslmode: 'verify-full', env });
  assert.equal(failed.stdout, '', failed.stderr);
  assert.equal(failed.stderr.match(/ERROR: {2}57P01: vaurien injected error/g)?.length, 2, failed.stderr);
  // The login got no behavior; each query did, and psql's Terminate (swallowed: it has no answer).
  assert.equal(proxy.stats().faults['error'], 3);

  proxy.setBehavior('100:dummy');
  const passed = await psql(db, port, ['-t', '-A', '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { sslmode: 'verify-full', env });
  assert.equal(passed.code, 0, passed.stderr);
  assert.equal(passed.stdout.trim(), 't', 'the server saw a plaintext session');
  assert.deepEqual(log.lines, [], 'nothing went wrong, nothing was passed raw');
});

test('pg with ssl: 30:error fails some of 300 queries with 57P01, the others answer right, the connection stays usable, and a large bytea crosses byte-exact', TIMEOUT, async (t) => {
  const db = await tlsServer(t);
  if (db === undefined) return;
  const { port, proxy } = await terminatingProxy(t, db, '100:dummy');
  const client = pgClient(t, port, db, 'scram', { ssl: { ca: (await testAuthority()).cert, servername: 'localhost' } });
  await client.connect();
  const stream = (client as unknown as { connection: { stream: unknown } }).connection.stream;
  assert.ok(stream instanceof TLSSocket, 'pg did not switch to TLS');

  proxy.setBehavior('30:error');
  let failed = 0;
  for (let i = 0; i < 300; i++) {
    try {
      const { rows } = await client.query<{ value: number }>('SELECT $1::int AS value', [i]);
      assert.equal(rows[0]?.value, i);
    } catch (error) {
      assert.equal((error as { code?: string }).code, '57P01');
      failed++;
    }
  }
  // Binomial(300, 0.3): mean 90, sigma ≈ 7.9; ±5 sigma.
  assert.ok(failed >= 50 && failed <= 130, `${failed} of 300 queries failed`);

  proxy.setBehavior('100:dummy');
  const blob = randomBytes(4 * 1024 * 1024);
  const { rows } = await client.query<{ data: Buffer }>('SELECT $1::bytea AS data', [blob]);
  assert.ok(rows[0]?.data.equals(blob), 'the bytea came back changed');
  assert.deepEqual(client.errors, []);
});
