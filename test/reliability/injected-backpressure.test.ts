// An injected reply obeys backpressure like forwarded bytes: a client that sends and never reads
// cannot make the proxy buffer without bound, whatever the behavior. Seen before: redis 100:error
// with 10 MB of PINGs took the proxy from 65 MB to 870 MB; memcache 222 MB; tcp 266 MB.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { bannerPort, startVaurien } from '../helpers/cli.js';
import { MiB, rssBytes, watchRss } from '../helpers/process-stats.js';
import { startTcpServer } from '../helpers/sockets.js';

/** What the client tries to send (it stops earlier when the proxy stops reading): 20 MB of commands, 200 MB of raw bytes. */
const SEND = 20 * MiB;
const SEND_RAW = 200 * MiB;
/** Target of issue #15: the proxy's RSS stays under this whatever is sent. */
const RSS_LIMIT = 150 * MiB;

/** Writes `unit` repeated, as fast as the socket takes it, until `total` or until the proxy stops reading for 1.5 s. */
async function flood(socket: Socket, unit: string, total: number): Promise<number> {
  const block = Buffer.from(unit.repeat(Math.ceil(65536 / unit.length)));
  let sent = 0;
  while (sent < total && !socket.destroyed) {
    sent += block.length;
    if (socket.write(block)) continue;
    const drained = await Promise.race([new Promise<boolean>((resolve) => socket.once('drain', () => resolve(true))), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500))]);
    if (!drained) break;
  }
  return sent;
}

async function check(t: TestContext, protocol: string, behavior: string, unit: string, total = SEND): Promise<void> {
  // A backend that reads everything and answers every line with a short line.
  const backend = await startTcpServer(t, (socket) => {
    socket.on('data', (data: Buffer) => socket.write(Buffer.alloc(data.length >> 2, 0x2b)));
    socket.on('error', () => {});
  });
  const vaurien = await startVaurien(t, ['--proxy', '127.0.0.1:0', '--backend', backend.address, '--protocol', protocol, '--behavior', behavior, '--log-level', 'error']);
  const pid = vaurien.child.pid as number;
  const idle = rssBytes(pid);
  const rss = watchRss(pid);
  const client = connect({ port: bannerPort(vaurien.banner), host: '127.0.0.1' });
  t.after(() => client.destroy());
  client.pause(); // never reads
  await new Promise((resolve) => client.once('connect', resolve));
  const sent = await flood(client, unit, total);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const peak = rss.stop();
  t.diagnostic(`${protocol} ${behavior}: client sent ${(sent / MiB).toFixed(1)} MB; proxy RSS ${(idle / MiB).toFixed(0)} MB idle, ${(peak / MiB).toFixed(0)} MB at most`);
  assert.ok(peak < RSS_LIMIT, `the proxy's RSS reached ${(peak / MiB).toFixed(0)} MB`);
}

test('redis 100:error: a client flooding PINGs and never reading is paused, the proxy stays under 150 MB', { timeout: 60_000 }, (t) => check(t, 'redis', '100:error', 'PING\r\n'));
test('redis 50:error: the same with half the PINGs answered by the backend', { timeout: 60_000 }, (t) => check(t, 'redis', '50:error', 'PING\r\n'));
test('memcache 100:error: a client flooding `version` and never reading stays bounded', { timeout: 60_000 }, (t) => check(t, 'memcache', '100:error', 'version\r\n'));
test('tcp 100:error: random-byte answers to a client that never reads stay bounded', { timeout: 60_000 }, (t) => check(t, 'tcp', '100:error', 'x', SEND_RAW));
