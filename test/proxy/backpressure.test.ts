// Backpressure end to end: a client that stops reading makes the backend stop sending (the
// proxy does not buffer without bound), and the stream resumes intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { startTestProxy } from '../helpers/proxy.js';
import { startTcpServer } from '../helpers/sockets.js';

const TOTAL = 64 * 1024 * 1024;

/** A backend that streams TOTAL bytes of a known pattern as fast as the connection takes them. */
async function streamingBackend(t: Parameters<typeof startTcpServer>[0]) {
  const progress = { sent: 0, hash: createHash('sha256') };
  const server = await startTcpServer(t, (socket: Socket) => {
    let counter = 0;
    const pump = (): void => {
      while (progress.sent < TOTAL) {
        const chunk = Buffer.alloc(64 * 1024, counter++ & 0xff);
        progress.sent += chunk.length;
        progress.hash.update(chunk);
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  return { server, progress };
}

for (const behavior of ['dummy', 'delay']) {
  test(`a client that stops reading stops the backend (${behavior}), and everything arrives once it reads again`, async (t) => {
    const { server, progress } = await streamingBackend(t);
    const { port } = await startTestProxy(t, {
      backend: server.address,
      behavior: behavior === 'delay' ? '50:delay' : 'dummy',
      behaviorOptions: behavior === 'delay' ? { delay: { sleep: 0.001, before: false } } : {},
    });
    const client = connect({ port, host: '127.0.0.1' });
    client.pause();
    await new Promise((resolve) => client.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Kernel buffers on both hops plus the proxy's own: a few MB, never the whole stream.
    assert.ok(progress.sent < 24 * 1024 * 1024, `the backend could send ${progress.sent} bytes to a client that reads nothing`);
    const received = createHash('sha256');
    let length = 0;
    client.on('data', (data: Buffer) => {
      received.update(data);
      length += data.length;
    });
    client.resume();
    await new Promise((resolve) => client.once('end', resolve));
    assert.equal(length, TOTAL);
    assert.equal(received.digest('hex'), progress.hash.digest('hex'));
  });
}
