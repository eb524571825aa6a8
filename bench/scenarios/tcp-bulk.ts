// Bulk throughput over one connection: send `megabytes` to an echo backend and read them back.
// Reports MB/s of payload (each byte crosses the proxy once each way).
import { connect } from 'node:net';

export async function tcpBulk(port: number, megabytes: number): Promise<number> {
  const total = megabytes * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let received = 0;
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    socket.on('connect', pump);
    socket.on('data', (data: Buffer) => {
      received += data.length;
      if (received >= total) {
        socket.destroy();
        resolve();
      }
    });
    socket.on('error', reject);
  });
  return total / 1024 / 1024 / ((performance.now() - started) / 1000);
}
