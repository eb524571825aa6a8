// Round-trip latency on one connection: a 16-byte message to an echo backend, wait for it,
// repeat. Reports the median and 99th percentile in microseconds.
import { connect } from 'node:net';

export async function tcpPingPong(port: number, rounds: number): Promise<{ p50: number; p99: number }> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const message = Buffer.alloc(16, 0x61);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      let got = 0;
      const onData = (data: Buffer): void => {
        got += data.length;
        if (got < message.length) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
      socket.write(message);
    });
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  socket.destroy();
  samples.sort((a, b) => a - b);
  const at = (rank: number): number => samples[Math.min(samples.length - 1, Math.floor(rank * samples.length))] as number;
  return { p50: at(0.5), p99: at(0.99) };
}
