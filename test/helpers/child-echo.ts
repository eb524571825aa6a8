// An echo server in a child process, for tests that need more sockets than one process may
// open (the proxy's peers under 10 000 connections): it echoes every byte, half-closes with
// its client, and is killed when the test ends.
import type { TestContext } from 'node:test';
import { startPortChild } from './port-child.js';

const SCRIPT = `
const net = require('node:net');
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
server.maxConnections = 1e6;
server.listen({ port: 0, host: '127.0.0.1', backlog: 65535 }, () => process.stdout.write('port ' + server.address().port + '\\n'));
`;

export interface ChildEcho {
  readonly pid: number;
  /** \`127.0.0.1:port\`, for the proxy's --backend. */
  readonly address: string;
}

export async function startChildEcho(t: TestContext): Promise<ChildEcho> {
  const { pid, port } = await startPortChild(t, SCRIPT, 'the echo child');
  return { pid, address: `127.0.0.1:${port}` };
}
