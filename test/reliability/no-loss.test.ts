// No loss, no reordering under dummy: hundreds of concurrent connections stream random bytes
// both ways at once, in random write sizes, and half-close in either order; every byte arrives,
// in order, on both sides. Random bytes through a protocol-aware proxy take its framers' raw
// path, which must be as exact as the framed one.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { startTestProxy } from '../helpers/proxy.js';
import { startTcpServer } from '../helpers/sockets.js';

type Order = 'client ends first' | 'backend ends first';

interface Plan {
  /** What the client sends. */
  readonly up: Buffer;
  /** What the backend answers. */
  readonly down: Buffer;
  readonly order: Order;
}

const digest = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Writes `data` in random slices (1 byte to 64 KiB), yielding to the event loop now and then. */
async function writeRandomly(socket: Socket, data: Buffer): Promise<void> {
  let at = 0;
  while (at < data.length && !socket.destroyed) {
    const length = Math.min(data.length - at, randomInt(1, randomInt(0, 4) === 0 ? 64 : 64 * 1024));
    const more = socket.write(data.subarray(at, at + length));
    at += length;
    if (!more) await new Promise((resolve) => socket.once('drain', resolve));
    else if (randomInt(0, 8) === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Collects what `socket` receives; resolves on its end (the peer's half-close). */
function collect(socket: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  socket.on('data', (data: Buffer) => parts.push(data));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(parts)));
    socket.once('error', reject);
  });
}

/**
 * Both sides write at once. The side that ends first half-closes as soon as it has written;
 * the other one writes half of its bytes, waits for the FIN, then writes the rest and ends.
 */
async function play(side: 'client' | 'backend', socket: Socket, outgoing: Buffer, order: Order, received: Promise<Buffer>): Promise<void> {
  const first = order === 'client ends first' ? 'client' : 'backend';
  if (side === first) {
    await writeRandomly(socket, outgoing);
  } else {
    const half = outgoing.length >> 1;
    await writeRandomly(socket, outgoing.subarray(0, half));
    await received;
    await writeRandomly(socket, outgoing.subarray(half));
  }
  socket.end();
}

/** Opens `count` connections one at a time, so the backend's n-th accepted socket is client n's. */
async function connectPairs(t: TestContext, count: number, protocol: string): Promise<Array<{ client: Socket; backend: Socket }>> {
  const waiting: Array<(socket: Socket) => void> = [];
  const early: Socket[] = [];
  const server = await startTcpServer(t, (socket) => {
    const wake = waiting.shift();
    if (wake !== undefined) wake(socket);
    else early.push(socket);
  });
  const proxy = await startTestProxy(t, { backend: server.address, protocol });
  const pairs: Array<{ client: Socket; backend: Socket }> = [];
  for (let id = 0; id < count; id++) {
    const accepted = new Promise<Socket>((resolve) => {
      const socket = early.shift();
      if (socket !== undefined) resolve(socket);
      else waiting.push(resolve);
    });
    const client = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    t.after(() => client.destroy());
    client.on('error', () => {});
    pairs.push({ client, backend: await accepted });
  }
  return pairs;
}

for (const [protocol, count, maxBytes] of [
  ['tcp', 256, 256 * 1024],
  ['http', 48, 64 * 1024],
  ['redis', 48, 64 * 1024],
  ['memcache', 48, 64 * 1024],
  ['smtp', 48, 64 * 1024],
  ['mysql', 48, 64 * 1024],
] as const) {
  test(`${count} concurrent ${protocol} connections stream random bytes both ways, half-closing in either order: every byte arrives in order`, { timeout: 60_000 }, async (t) => {
    const pairs = await connectPairs(t, count, protocol);
    const results = await Promise.all(
      pairs.map(async ({ client, backend }, id) => {
        const plan: Plan = {
          up: randomBytes(randomInt(0, maxBytes)),
          down: randomBytes(randomInt(0, maxBytes)),
          order: id % 2 === 0 ? 'client ends first' : 'backend ends first',
        };
        const atClient = collect(client);
        const atBackend = collect(backend);
        await Promise.all([play('client', client, plan.up, plan.order, atClient), play('backend', backend, plan.down, plan.order, atBackend)]);
        return { plan, upAtBackend: await atBackend, downAtClient: await atClient };
      }),
    );
    for (const [id, { plan, upAtBackend, downAtClient }] of results.entries()) {
      assert.equal(upAtBackend.length, plan.up.length, `#${id} (${plan.order}): the backend got ${upAtBackend.length} of ${plan.up.length} bytes`);
      assert.equal(digest(upAtBackend), digest(plan.up), `#${id} (${plan.order}): the backend got other bytes than the client sent`);
      assert.equal(downAtClient.length, plan.down.length, `#${id} (${plan.order}): the client got ${downAtClient.length} of ${plan.down.length} bytes`);
      assert.equal(digest(downAtClient), digest(plan.down), `#${id} (${plan.order}): the client got other bytes than the backend sent`);
    }
  });
}
