// The redis protocol through a real proxy, a real redis-server and ioredis: dummy passes every
// byte as a direct connection gets it (RESP2, RESP3, pipelines, big values, MULTI, pub/sub), and
// each behavior does to a command what a redis user would expect, on one persistent connection.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Redis, ReplyError } from 'ioredis';
import { silentLogger, type Logger } from '../../lib/log.js';
import { createProxy } from '../../lib/proxy/proxy.js';
import { redis as redisProtocol } from '../../plugins/protocols/redis.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { rawClient } from '../helpers/sockets.js';
import { redisServerForFile, type RedisServer } from '../helpers/redis-server.js';

const redisServer = redisServerForFile();

const HOST = '127.0.0.1';
const INJECTED_ERROR = 'ERR vaurien injected error';

/** One RESP command, arguments as strings or raw bytes. */
function cmd(...args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Sends `payload` on a raw socket and resolves with every byte received until the server closes. */
function rawSession(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port }, () => socket.write(payload));
    const parts: Buffer[] = [];
    socket.on('data', (data: Buffer) => parts.push(data));
    socket.on('close', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
    socket.setTimeout(20_000, () => socket.destroy(new Error('raw session timed out')));
  });
}

/** An ioredis client on `port`: no retries and no reconnection, so a closed connection shows. */
async function client(t: TestContext, port: number, options: { protocol?: 2 | 3; commandTimeout?: number } = {}): Promise<Redis> {
  const redis = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    protocol: options.protocol ?? 3,
    ...(options.commandTimeout === undefined ? {} : { commandTimeout: options.commandTimeout }),
  });
  redis.on('error', () => {}); // failures are asserted on the commands themselves
  t.after(() => redis.disconnect());
  await redis.connect();
  return redis;
}

/** The proxy and redis for one test; the proxy starts as dummy, so clients connect cleanly. */
async function setup(t: TestContext, log: Logger = silentLogger): Promise<{ redis: RedisServer; proxy: TestProxy } | undefined> {
  const redis = await redisServer(t);
  if (redis === undefined) return undefined;
  const proxy = await startTestProxy(t, { backend: redis.address, protocol: 'redis', log });
  return { redis, proxy };
}

const outcome = (promise: Promise<unknown>): Promise<{ value?: unknown; error?: Error }> =>
  promise.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );

// ---------------------------------------------------------------------------------------------
// dummy: byte-exact

test('dummy: a RESP2 session (inline, errors, MULTI/EXEC, 1 000 pipelined commands, a 20 MB value) comes back byte-exact', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const big = randomBytes(20 * 1024 * 1024);
  const session = (db: string): Buffer => {
    const pipeline = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? cmd('SET', `p:${i}`, `value-${i}`) : cmd('GET', `p:${i - 1}`)));
    return Buffer.concat([
      cmd('SELECT', db),
      cmd('FLUSHDB'),
      Buffer.from('PING\r\nECHO "hello world"\r\n\r\n'),
      cmd('SET', 'greeting', 'hello'),
      cmd('GET', 'greeting'),
      cmd('GET', 'missing'),
      cmd('INCR', 'counter'),
      cmd('INCRBY', 'counter', '41'),
      cmd('INCR', 'greeting'), // -ERR value is not an integer
      cmd('NOSUCHCOMMAND', 'x'),
      cmd('RPUSH', 'list', 'a', 'b', 'c'),
      cmd('LRANGE', 'list', '0', '-1'),
      cmd('HSET', 'hash', 'f1', 'v1', 'f2', 'v2'),
      cmd('HGETALL', 'hash'),
      cmd('ZADD', 'z', '1.5', 'one', '2', 'two'),
      cmd('ZRANGE', 'z', '0', '-1', 'WITHSCORES'),
      cmd('MULTI'),
      cmd('SET', 'tx', '1'),
      cmd('INCR', 'tx'),
      cmd('LPUSH', 'tx', 'x'), // fails inside EXEC
      cmd('EXEC'),
      ...pipeline,
      cmd('SET', 'big', big),
      cmd('GET', 'big'),
      cmd('STRLEN', 'big'),
      cmd('QUIT'),
    ]);
  };
  const [direct, proxied] = await Promise.all([rawSession(env.redis.port, session('1')), rawSession(env.proxy.port, session('2'))]);
  assert.ok(direct.length > big.length, 'the direct session did not complete');
  assert.equal(proxied.length, direct.length);
  assert.ok(proxied.equals(direct), 'the proxied bytes differ from the direct ones');
  assert.ok(direct.toString('latin1').endsWith('+OK\r\n'));
});

/** HELLO's map says which connection it is (`id`); everything else must match byte for byte. */
const withoutClientId = (bytes: Buffer): string => bytes.toString('latin1').replace(/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n:N\r\n');

test('dummy: a RESP3 session after HELLO 3 (maps, sets, doubles, big numbers, verbatim, attributes, pushes) comes back byte-exact', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const session = (db: string): Buffer =>
    Buffer.concat([
      cmd('HELLO', '3'),
      cmd('SELECT', db),
      cmd('FLUSHDB'),
      cmd('SET', 'k', 'v'),
      cmd('GET', 'missing'), // _
      cmd('HSET', 'h', 'a', '1', 'b', '2'),
      cmd('HGETALL', 'h'), // %
      cmd('SADD', 's', '1', '2', '3'),
      cmd('SMEMBERS', 's'), // ~
      cmd('ZADD', 'z', '2.5', 'm'),
      cmd('ZSCORE', 'z', 'm'), // ,
      ...['attrib', 'push', 'bignum', 'verbatim', 'true', 'false', 'null', 'double', 'map', 'set'].map((type) => cmd('DEBUG', 'PROTOCOL', type)),
      ...Array.from({ length: 200 }, (_, i) => cmd('GET', i % 2 === 0 ? 'k' : 'missing')),
      cmd('SUBSCRIBE', 'c1', 'c2'), // pushes that answer
      cmd('PING'),
      cmd('UNSUBSCRIBE'),
      cmd('QUIT'),
    ]);
  const [direct, proxied] = await Promise.all([rawSession(env.redis.port, session('3')), rawSession(env.proxy.port, session('4'))]);
  assert.match(direct.toString('latin1'), /^%7\r\n/, 'HELLO 3 did not switch to RESP3');
  assert.match(direct.toString('latin1'), /\|1\r\n/, 'no attribute in the session');
  assert.equal(withoutClientId(proxied), withoutClientId(direct));
});

for (const protocol of [2, 3] as const) {
  test(`dummy with ioredis over RESP${protocol}: 1 000 pipelined commands, a 20 MB value and MULTI/EXEC return what redis stored`, async (t) => {
    const env = await setup(t);
    if (env === undefined) return;
    const redis = await client(t, env.proxy.port, { protocol });
    const pipeline = redis.pipeline();
    for (let i = 0; i < 500; i++) pipeline.set(`io${protocol}:${i}`, `value-${i}`);
    for (let i = 0; i < 500; i++) pipeline.get(`io${protocol}:${i}`);
    const results = (await pipeline.exec()) ?? [];
    assert.equal(results.length, 1000);
    results.slice(500).forEach(([error, value], i) => {
      assert.equal(error, null);
      assert.equal(value, `value-${i}`);
    });
    const big = randomBytes(20 * 1024 * 1024);
    assert.equal(await redis.set(`io${protocol}:big`, big), 'OK');
    const back = await redis.getBuffer(`io${protocol}:big`);
    assert.ok(back?.equals(big), 'the 20 MB value came back different');
    assert.ok((await env.redis.direct.getBuffer(`io${protocol}:big`))?.equals(big), 'redis stored something else');
    const exec = await redis.multi().set(`io${protocol}:tx`, '1').incr(`io${protocol}:tx`).get(`io${protocol}:tx`).exec();
    assert.deepEqual(exec, [
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
    assert.equal(env.proxy.proxy.stats().connections.total, 1, 'the client had to reconnect');
  });

  test(`pub/sub over RESP${protocol}: a subscriber through the proxy gets messages published directly, and later commands keep their own answers`, async (t) => {
    const env = await setup(t);
    if (env === undefined) return;
    const subscriber = await client(t, env.proxy.port, { protocol });
    const received: string[] = [];
    subscriber.on('message', (channel: string, message: string) => received.push(`${channel}:${message}`));
    subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => received.push(`p ${channel}:${message}`));
    const channel = (name: string): string => `ps${protocol}:${name}`;
    assert.equal(await subscriber.subscribe(channel('a'), channel('b'), channel('c')), 3);
    assert.equal(await subscriber.psubscribe(channel('p*')), 4);
    for (const name of ['a', 'c', 'px']) await env.redis.direct.publish(channel(name), `hello ${name}`);
    const deadline = performance.now() + 2000;
    while (received.length < 3 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(received, [`${channel('a')}:hello a`, `${channel('c')}:hello c`, `p ${channel('px')}:hello px`]);
    // Every subscription got its confirmations paired: an error reply for the next command is
    // written in its turn at once (a stale slot would hold it back forever).
    env.proxy.proxy.setBehavior('100:error');
    const pinged = await outcome(subscriber.ping());
    assert.ok(pinged.error instanceof ReplyError);
    assert.equal(pinged.error?.message, INJECTED_ERROR);
    env.proxy.proxy.setBehavior('100:dummy');
    // Named: ioredis 6's argument-less unsubscribe() never resolves while a pattern remains, even direct.
    assert.equal(await subscriber.unsubscribe(channel('a'), channel('b'), channel('c')), 1);
    assert.equal(await subscriber.punsubscribe(channel('p*')), 0);
    await env.redis.direct.publish(channel('a'), 'too late');
    // Out of subscribed mode, the connection answers ordinary commands in order.
    assert.equal(await subscriber.set(channel('key'), 'v'), 'OK');
    assert.equal(await subscriber.get(channel('key')), 'v');
    assert.ok(!received.some((line) => line.includes('too late')));
    assert.equal(env.proxy.proxy.stats().connections.total, 1);
  });
}

test('pub/sub: UNSUBSCRIBE without arguments is answered by one confirmation per channel, so the next answer is not held back', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const socket = await rawClient(t, env.proxy.port);
  socket.socket.write(Buffer.concat([cmd('SUBSCRIBE', 'z:a', 'z:b'), cmd('PSUBSCRIBE', 'z:p*'), cmd('UNSUBSCRIBE')]));
  const subscribed = '*3\r\n$9\r\nsubscribe\r\n$3\r\nz:a\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$3\r\nz:b\r\n:2\r\n*3\r\n$10\r\npsubscribe\r\n$4\r\nz:p*\r\n:3\r\n';
  const unsubscribed = (first: string, second: string): string =>
    `*3\r\n$11\r\nunsubscribe\r\n$3\r\n${first}\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$3\r\n${second}\r\n:1\r\n`;
  const length = subscribed.length + unsubscribed('z:a', 'z:b').length;
  const got = (await socket.waitFor(length)).toString();
  // Redis walks its channel dictionary: either order.
  const confirmations = [subscribed + unsubscribed('z:a', 'z:b'), subscribed + unsubscribed('z:b', 'z:a')].find((option) => option === got);
  assert.ok(confirmations !== undefined, `unexpected confirmations ${JSON.stringify(got)}`);
  await env.redis.direct.publish('z:px', 'm');
  const message = '*4\r\n$8\r\npmessage\r\n$4\r\nz:p*\r\n$4\r\nz:px\r\n$1\r\nm\r\n';
  await socket.waitFor(confirmations.length + message.length);
  // Had the proxy expected a third confirmation, this error reply would wait for it forever.
  env.proxy.proxy.setBehavior('100:error');
  socket.socket.write(cmd('PING'));
  const error = `-${INJECTED_ERROR}\r\n`;
  const all = await socket.waitFor(confirmations.length + message.length + error.length);
  assert.equal(all.toString(), confirmations + message + error);
});

// ---------------------------------------------------------------------------------------------
// behaviors, each on one persistent connection

test('30:error on 1 000 GETs: about 300 get the injected ReplyError, every other one returns the value of its own key', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const keys = Array.from({ length: 1000 }, (_, i) => `e30:${i}`);
  await env.redis.direct.mset(...keys.flatMap((key, i) => [key, `value-${i}-${key.length * 7 + i}`]));
  const redis = await client(t, env.proxy.port);
  env.proxy.proxy.setBehavior('30:error');
  const results = await Promise.all(keys.map((key) => outcome(redis.get(key))));
  let errors = 0;
  results.forEach(({ value, error }, i) => {
    if (error !== undefined) {
      assert.ok(error instanceof ReplyError, `GET ${keys[i]} failed with ${error.message}`);
      assert.equal(error.message, INJECTED_ERROR);
      errors++;
    } else {
      assert.equal(value, `value-${i}-${(keys[i] as string).length * 7 + i}`, `GET ${keys[i]} got another key's value`);
    }
  });
  // Binomial(1000, 0.3): mean 300, sigma 14.5; ±5 sigma.
  assert.ok(errors >= 228 && errors <= 372, `${errors} errors out of 1000`);
  assert.equal(env.proxy.proxy.stats().connections.total, 1, 'the errors cost a reconnection');
  assert.equal(redis.status, 'ready');
});

test('100:error: every command gets "-ERR vaurien injected error" as a ReplyError and never reaches redis', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  for (const protocol of [2, 3] as const) {
    const redis = await client(t, env.proxy.port, { protocol });
    env.proxy.proxy.setBehavior('100:error');
    const set = await outcome(redis.set(`e100:${protocol}`, 'v'));
    assert.ok(set.error instanceof ReplyError);
    assert.equal(set.error?.message, INJECTED_ERROR);
    const get = await outcome(redis.get(`e100:${protocol}`));
    assert.equal(get.error?.message, INJECTED_ERROR);
    assert.equal(await env.redis.direct.get(`e100:${protocol}`), null, 'the command reached redis');
    env.proxy.proxy.setBehavior('100:dummy');
    assert.equal(await redis.ping(), 'PONG', 'the connection did not survive the errors');
  }
});

test('delay: each command is held `sleep` seconds before redis gets it (before=true) or before its answer comes back (before=false)', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const redis = await client(t, env.proxy.port);
  env.proxy.proxy.setBehavior('100:delay', { delay: { sleep: 0.2, before: true } });
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const pending = redis.set(`delay:before:${i}`, 'v');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await env.redis.direct.get(`delay:before:${i}`), null, 'redis got the command before the delay');
    assert.equal(await pending, 'OK');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 2000, `answered after ${elapsed} ms`);
  }
  env.proxy.proxy.setBehavior('100:delay', { delay: { sleep: 0.2, before: false } });
  const started = performance.now();
  const pending = redis.set('delay:after', 'v');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await env.redis.direct.get('delay:after'), 'v', 'redis should have run the command at once');
  assert.equal(await pending, 'OK');
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 2000, `answered after ${elapsed} ms`);
});

test('hang: the command is never answered (the client times out) and never reaches redis; the connection stays open', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const redis = await client(t, env.proxy.port, { commandTimeout: 300 });
  assert.equal(await redis.ping(), 'PONG');
  env.proxy.proxy.setBehavior('100:hang');
  const started = performance.now();
  const set = await outcome(redis.set('hang:k', 'v'));
  assert.match(set.error?.message ?? '', /timed out/i);
  assert.ok(performance.now() - started >= 290);
  assert.equal(await env.redis.direct.get('hang:k'), null);
  assert.equal(env.proxy.proxy.stats().connections.open, 1, 'hang closed the connection');
});

test('blackout: the connection is closed at once and redis never gets the command', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const redis = await client(t, env.proxy.port);
  const closed = new Promise((resolve) => redis.once('close', resolve));
  env.proxy.proxy.setBehavior('100:blackout');
  const set = await outcome(redis.set('blackout:k', 'v'));
  assert.match(set.error?.message ?? '', /connection is closed/i);
  await closed;
  assert.equal(await env.redis.direct.get('blackout:k'), null);
});

test('abort: redis runs the command but the client gets no answer, only a closed connection', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const redis = await client(t, env.proxy.port);
  env.proxy.proxy.setBehavior('100:abort');
  const set = await outcome(redis.set('abort:k', 'stored anyway'));
  assert.match(set.error?.message ?? '', /connection is closed/i);
  assert.equal(set.value, undefined);
  assert.equal(await env.redis.direct.get('abort:k'), 'stored anyway', 'redis did not get the command');
});

test('transient: the first `agitate` commands get the injected error, the following ones succeed', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const redis = await client(t, env.proxy.port);
  env.proxy.proxy.setBehavior('100:transient', { transient: { agitate: 2 } });
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await outcome(redis.set(`transient:${i}`, 'v')));
  assert.deepEqual(
    results.map(({ value, error }) => error?.message ?? value),
    [INJECTED_ERROR, INJECTED_ERROR, 'OK', 'OK'],
  );
  assert.deepEqual(await env.redis.direct.mget('transient:0', 'transient:1', 'transient:2', 'transient:3'), [null, null, 'v', 'v']);
});

test('error with inject: the reply carries 100 random bytes in its middle, and ioredis never sees the stored value', async (t) => {
  const env = await setup(t);
  if (env === undefined) return;
  const value = 'a-value-long-enough-to-be-cut-in-the-middle';
  await env.redis.direct.set('inject:k', value);
  // Connected first: with inject on, even ioredis's handshake would be garbled.
  const redis = await client(t, env.proxy.port, { commandTimeout: 1000 });
  env.proxy.proxy.setBehavior('100:error', { error: { inject: true } });
  // On the wire: the first half of the real reply, 100 random bytes, the second half.
  const request = Buffer.concat([cmd('GET', 'inject:k'), cmd('QUIT')]);
  const [direct, proxied] = await Promise.all([rawSession(env.redis.port, request), rawSession(env.proxy.port, request)]);
  const reply = Buffer.from(`$${value.length}\r\n${value}\r\n`);
  assert.ok(direct.equals(Buffer.concat([reply, Buffer.from('+OK\r\n')])));
  const middle = reply.length >> 1;
  assert.equal(proxied.length, direct.length + 200, 'both replies (GET and QUIT) carry 100 more bytes');
  assert.ok(proxied.subarray(0, middle).equals(reply.subarray(0, middle)));
  assert.ok(proxied.subarray(middle + 100, reply.length + 100).equals(reply.subarray(middle)));
  assert.ok(!proxied.subarray(middle, middle + 100).equals(reply.subarray(middle, middle + 100)));
  // Through ioredis: a wrong value, a parse failure or a lost connection, never the value.
  const got = await outcome(redis.get('inject:k'));
  assert.notEqual(got.value, value);
  assert.ok(got.error !== undefined || typeof got.value === 'string', `unexpected outcome ${String(got.value)}`);
});

test("redis takes Vaurien's options: buffer (int, 2048), keep_alive and reuse_socket (bool), checked by name", async (t) => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(redisProtocol.options).map(([name, spec]) => [name, [spec.type, spec.default]])),
    { buffer: ['int', 2048], keep_alive: ['bool', false], reuse_socket: ['bool', false] },
  );
  assert.throws(() => createProxy({ backend: '127.0.0.1:6379', protocol: 'redis', protocolOptions: { buffer: 'big' } }), /--protocol-redis-buffer: expected an integer/);
  const env = await setup(t);
  if (env === undefined) return;
  const proxy = await startTestProxy(t, { backend: env.redis.address, protocol: 'redis', protocolOptions: { buffer: 4096, keep_alive: true } });
  const redis = await client(t, proxy.port);
  assert.equal(await redis.echo('with options'), 'with options');
});

// ---------------------------------------------------------------------------------------------
// malformed traffic

test('garbage from a client: one warning, then the bytes pass through and the client sees exactly what redis says', async (t) => {
  const warnings: string[] = [];
  const env = await setup(t, { ...silentLogger, warning: (line) => warnings.push(line) });
  if (env === undefined) return;
  const payload = Buffer.concat([cmd('PING'), Buffer.from('*2\r\n$3\r\nGET\r\n$zz\r\nmore garbage\r\n'), cmd('PING')]);
  const [direct, proxied] = await Promise.all([rawSession(env.redis.port, payload), rawSession(env.proxy.port, payload)]);
  assert.match(direct.toString(), /^\+PONG\r\n-ERR Protocol error/);
  assert.equal(proxied.toString(), direct.toString());
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] as string, /not RESP/);
});
