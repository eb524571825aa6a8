// rediss:// through vaurien: ioredis over TLS to the proxy, the proxy over TLS to redis-server
// (--tls-port), `--protocol redis` acting on single commands of the decrypted traffic: 50:error
// fails some commands and answers the others right; dummy is byte-exact.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis, ReplyError } from 'ioredis';
import { certificateFiles, signedCertificate, testAuthority } from '../helpers/certificates.js';
import { recordingLogger } from '../helpers/log-recorder.js';
import { startTestProxy } from '../helpers/proxy.js';
import { redisServerForFile } from '../helpers/redis-server.js';
import { tlsClient } from '../helpers/tls-sockets.js';

const tlsRedis = redisServerForFile({ tls: async () => certificateFiles(await signedCertificate()) });
const plainRedis = redisServerForFile();

/** An ioredis client over TLS to the proxy on `port`, trusting the test CA; no retries. */
async function rediss(t: TestContext, port: number): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    tls: { ca: (await testAuthority()).cert, servername: 'localhost' },
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  t.after(() => client.disconnect());
  await client.connect();
  return client;
}

test('rediss:// under 50:error: some commands get a ReplyError, every other one its own answer, on one TLS connection', async (t) => {
  const redis = await tlsRedis(t);
  if (redis === undefined) return;
  const { proxy, port } = await startTestProxy(t, {
    backend: `localhost:${redis.port}`,
    protocol: 'redis',
    tls: await signedCertificate(),
    backendTls: { ca: (await testAuthority()).cert },
  });
  const client = await rediss(t, port);
  proxy.setBehavior('50:error');
  const outcomes: Array<'stored' | 'failed'> = [];
  for (let i = 0; i < 60; i++) {
    const key = `rediss:${i}`;
    try {
      assert.equal(await client.set(key, `value ${i}`), 'OK');
      outcomes.push('stored');
    } catch (error) {
      assert.ok(error instanceof ReplyError, String(error));
      assert.equal((error as Error).message, 'ERR vaurien injected error');
      outcomes.push('failed');
    }
  }
  const failed = outcomes.filter((outcome) => outcome === 'failed').length;
  assert.ok(failed >= 15 && failed <= 45, `${failed} of 60 commands failed under 50:error`);
  // What the client was told is what the server holds: a failed SET never reached it.
  for (let i = 0; i < 60; i++) assert.equal(await redis.direct.get(`rediss:${i}`), outcomes[i] === 'stored' ? `value ${i}` : null, `key ${i}`);
  assert.ok((proxy.stats().exchanges['error'] ?? 0) >= failed);
});

test('rediss:// under dummy: a 1 MB value and every byte value come back byte-exact, and the server holds them as sent', async (t) => {
  const redis = await tlsRedis(t);
  if (redis === undefined) return;
  const { port } = await startTestProxy(t, {
    backend: `localhost:${redis.port}`,
    protocol: 'redis',
    tls: await signedCertificate(),
    backendTls: { ca: (await testAuthority()).cert },
  });
  const client = await rediss(t, port);
  const big = randomBytes(1024 * 1024);
  const everyByte = Buffer.from(Array.from({ length: 256 }, (_, n) => n));
  assert.equal(await client.set('rediss:big', big), 'OK');
  assert.equal(await client.set('rediss:bytes', everyByte), 'OK');
  assert.ok((await client.getBuffer('rediss:big'))?.equals(big), 'the 1 MB value differs through the proxy');
  assert.ok((await client.getBuffer('rediss:bytes'))?.equals(everyByte));
  assert.ok((await redis.direct.getBuffer('rediss:big'))?.equals(big), 'the server holds another value');
  const pipeline = client.pipeline();
  for (let i = 0; i < 200; i++) pipeline.incr('rediss:counter');
  const results = await pipeline.exec();
  assert.deepEqual(results?.map(([, value]) => value), Array.from({ length: 200 }, (_, i) => i + 1));
});

test('a decrypted command that happens to open like a TLS record is still framed and given its behavior', async (t) => {
  const redis = await plainRedis(t);
  if (redis === undefined) return;
  const log = recordingLogger('info');
  // TLS from clients only: the backend side is plaintext and still watched for TLS.
  const { port } = await startTestProxy(t, { backend: redis.address, protocol: 'redis', behavior: '100:error', tls: await signedCertificate(), log });
  const { socket } = await tlsClient(t, port, (await testAuthority()).cert);
  // An inline command whose first bytes are those of a TLS ClientHello record.
  socket.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), Buffer.from(' hello\r\n')]));
  const [answer] = (await once(socket, 'data')) as [Buffer];
  assert.equal(answer.toString('latin1'), '-ERR vaurien injected error\r\n', 'passed through raw to redis instead of framed');
  assert.deepEqual(log.lines.filter((line) => line.includes('TLS from the client')), []);
});

test('a client that sends FIN before the backend\'s TLS handshake is done: the backend gets a clean close, the log no TLS error', async (t) => {
  const redis = await tlsRedis(t);
  if (redis === undefined) return;
  const log = recordingLogger('info');
  const { port } = await startTestProxy(t, { backend: `localhost:${redis.port}`, protocol: 'redis', behavior: '100:error', backendTls: { ca: (await testAuthority()).cert }, log });
  for (let i = 0; i < 5; i++) {
    // An errored command is never forwarded: the backend connection is ended with nothing sent.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.end('PING\r\n'));
      let received = '';
      socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    assert.equal(answer, '-ERR vaurien injected error\r\n');
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(log.lines, []);
});
