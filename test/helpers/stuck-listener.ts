// A backend whose connects never complete: a child process listens with a backlog of one,
// then blocks its event loop so it never accepts. Once a few connections fill its accept
// queue, the kernel drops further SYNs and a connect hangs, as towards a host that vanished.
import { connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { startPortChild } from './port-child.js';

const SCRIPT = `
const net = require('node:net');
const server = net.createServer(() => {});
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write('port ' + server.address().port + '\\n', () => {
    // Never back to the event loop: nothing is ever accepted.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
});
`;

/** `127.0.0.1:port` of a listener whose accept queue is full; killed when the test ends. */
export async function startStuckListener(t: TestContext): Promise<string> {
  const { port } = await startPortChild(t, SCRIPT, 'the stuck listener');
  // Fill the accept queue; the fillers that do not connect hang too, which is the point.
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) fillers.push(connect({ port, host: '127.0.0.1' }).on('error', () => {}));
  t.after(() => fillers.forEach((socket) => socket.destroy()));
  await new Promise((resolve) => setTimeout(resolve, 200));
  // Check that a connect now hangs: otherwise the test would prove nothing.
  const probe = connect({ port, host: '127.0.0.1' }).on('error', () => {});
  const connected = await Promise.race([new Promise((resolve) => probe.once('connect', () => resolve(true))), new Promise((resolve) => setTimeout(() => resolve(false), 300))]);
  probe.destroy();
  if (connected === true) throw new Error('the stuck listener still completes connects');
  return `127.0.0.1:${port}`;
}
