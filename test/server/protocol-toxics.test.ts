// The extensions a Toxiproxy client can reach with a plain POST: a proxy's `protocol`, vaurien's
// behaviors as toxic types (drawn per exchange on a framed protocol), a toxic's `duration`, and
// `--seed` replaying every draw.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { redisServerForFile } from '../helpers/redis-server.js';
import { rawClient, startEchoServer } from '../helpers/sockets.js';
import { session, startScriptedBackend, startToxiproxyServer } from '../helpers/toxiproxy-server.js';

const redisServer = redisServerForFile();

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  const text = await answer.text();
  return { status: answer.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** 200 GET/SET commands from ioredis through a redis proxy with an `error` toxic of toxicity 0.3. */
async function redisUnderErrorToxic(t: TestContext, seed: number): Promise<Array<string | null> | undefined> {
  const redis = await redisServer(t);
  if (redis === undefined) return undefined;
  const { server } = await startToxiproxyServer(t, { seed });
  const created = await post(`${server.url}/proxies`, { name: 'redis', listen: '127.0.0.1:0', upstream: redis.address, protocol: 'redis' });
  assert.equal(created.status, 201);
  assert.equal(created.json['protocol'], 'redis');
  const toxic = await post(`${server.url}/proxies/redis/toxics`, { type: 'error', toxicity: 0.3 });
  assert.deepEqual(toxic.json, { attributes: { inject: false, warmup: 0 }, name: 'error_downstream', type: 'error', stream: 'downstream', toxicity: 0.3 });
  const port = Number(String(created.json['listen']).split(':')[1]);
  // No ready check: its INFO would be a command like any other, errored 30 % of the time.
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
  t.after(() => client.disconnect());
  await client.connect();
  const outcomes: Array<string | null> = [];
  for (let n = 0; n < 100; n++) {
    for (const command of [() => client.set(`key${n}`, `value${n}`), () => client.get(`key${n}`)]) {
      try {
        outcomes.push(await command());
      } catch (error) {
        assert.equal((error as Error).name, 'ReplyError');
        assert.match((error as Error).message, /vaurien injected error/);
        outcomes.push('ERROR');
      }
    }
  }
  return outcomes;
}

test('a redis proxy with an error toxic at toxicity 0.3: about 30 % of commands get a ReplyError, every other is answered right', async (t) => {
  const outcomes = await redisUnderErrorToxic(t, 7);
  if (outcomes === undefined) return;
  const errors = outcomes.filter((outcome) => outcome === 'ERROR').length;
  assert.ok(errors >= 40 && errors <= 80, `${errors} of 200 commands errored`);
  outcomes.forEach((outcome, at) => {
    if (outcome === 'ERROR') return;
    const n = Math.floor(at / 2);
    // A GET answers the value only if its SET went through; otherwise the key is missing.
    if (at % 2 === 0) assert.equal(outcome, 'OK');
    else assert.ok(outcome === `value${n}` || (outcome === null && outcomes[at - 1] === 'ERROR'), `GET key${n} answered ${outcome}`);
  });
});

test('on a tcp proxy a behavior toxic is drawn per connection, as Toxiproxy draws: a connection errors on every exchange or on none', async (t) => {
  const { server } = await startToxiproxyServer(t, { seed: 5 });
  const echo = await startEchoServer(t);
  const created = await post(`${server.url}/proxies`, { name: 'raw', listen: '127.0.0.1:0', upstream: echo.address });
  const port = Number(String(created.json['listen']).split(':')[1]);
  await post(`${server.url}/proxies/raw/toxics`, { type: 'error', toxicity: 0.5 });
  const kinds: string[] = [];
  for (let n = 0; n < 12; n++) {
    const client = await rawClient(t, port);
    let seen = '';
    for (const word of ['one', 'two', 'six']) {
      const before = client.received().length;
      client.socket.write(word);
      // tcp's error answers 1000 random bytes; the echo answers the word.
      const answer = (await client.waitFor(before + 3)).subarray(before);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const whole = client.received().subarray(before);
      seen += whole.toString('latin1') === word ? 'e' : whole.length === 1000 ? 'X' : `?${answer.length}`;
    }
    client.socket.destroy();
    kinds.push(seen);
  }
  assert.ok(kinds.every((kind) => kind === 'eee' || kind === 'XXX'), kinds.join(' '));
  assert.ok(kinds.includes('eee') && kinds.includes('XXX'), kinds.join(' '));
});

test('the same --seed and the same traffic give the same commands errored', async (t) => {
  const first = await redisUnderErrorToxic(t, 42);
  const second = await redisUnderErrorToxic(t, 42);
  if (first === undefined || second === undefined) return;
  assert.deepEqual(second.map((outcome) => outcome === 'ERROR'), first.map((outcome) => outcome === 'ERROR'));
});

test('a toxic with a duration removes itself when it runs out, and shows the time left meanwhile', async (t) => {
  const { server } = await startToxiproxyServer(t);
  const backend = await startScriptedBackend(t);
  const created = await post(`${server.url}/proxies`, { name: 'brief', listen: '127.0.0.1:0', upstream: backend.address });
  const port = Number(String(created.json['listen']).split(':')[1]);
  const toxic = await post(`${server.url}/proxies/brief/toxics`, { type: 'latency', attributes: { latency: 300 }, duration: 0.4 });
  assert.equal(toxic.json['duration'], 0.4);
  assert.ok(Number(toxic.json['remaining']) > 0.3);
  assert.ok((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs >= 290, 'in force at first');
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.deepEqual(await (await fetch(`${server.url}/proxies/brief/toxics`)).json(), []);
  assert.ok((await session(port, 'ECHO\nx', { stopAt: 4 })).endMs < 250, 'gone once its duration ran out');
});

test('with a seed, the same connections draw a toxic of toxicity 0.5 on every run', async (t) => {
  const runs: string[] = [];
  for (let run = 0; run < 2; run++) {
    const { server } = await startToxiproxyServer(t, { seed: 9 });
    const backend = await startScriptedBackend(t);
    const created = await post(`${server.url}/proxies`, { name: 'seeded', listen: '127.0.0.1:0', upstream: backend.address });
    const port = Number(String(created.json['listen']).split(':')[1]);
    await post(`${server.url}/proxies/seeded/toxics`, { type: 'latency', toxicity: 0.5, attributes: { latency: 120 } });
    let pattern = '';
    // One connection at a time: each is the next in the proxy's numbering, so its draw is the seed's.
    for (let n = 0; n < 16; n++) pattern += (await session(port, 'ECHO\nx', { stopAt: 4 })).endMs >= 100 ? 'L' : '.';
    runs.push(pattern);
  }
  assert.match(runs[0] as string, /L/);
  assert.match(runs[0] as string, /\./);
  assert.equal(runs[1], runs[0]);
});
