// A TCP relay that records both directions in the order it saw them: put one on each side of
// a proxy and compare, and a test sees whether a single byte changed on the way.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { Direction } from '../../lib/contract/message.js';

export interface Segment {
  readonly from: Direction;
  readonly bytes: Buffer;
}

export interface Tee {
  readonly port: number;
  readonly segments: Segment[];
  bytes(from: Direction): Buffer;
  /** Resolves once every relayed connection has closed on both sides. */
  settled(): Promise<void>;
}

/** A relay to 127.0.0.1:`targetPort`, closed (with its sockets) when the test ends. */
export async function startTee(t: TestContext, targetPort: number): Promise<Tee> {
  const segments: Segment[] = [];
  const sockets: Socket[] = [];
  const closings: Array<Promise<void>> = [];
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const backend = connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(client, backend);
    const relay = (from: Socket, to: Socket, direction: Direction): void => {
      from.on('data', (bytes: Buffer) => {
        segments.push({ from: direction, bytes });
        to.write(bytes);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
    };
    relay(client, backend, 'request');
    relay(backend, client, 'response');
    closings.push(Promise.all([client, backend].map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())))).then(() => {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as AddressInfo).port,
    segments,
    bytes: (from) => Buffer.concat(segments.filter((segment) => segment.from === from).map((segment) => segment.bytes)),
    settled: async () => {
      await Promise.all(closings);
    },
  };
}
