// HTTP keep-alive request rate: `connections` connections, each sending GETs back to back
// (no pipelining) for `seconds`. Reports requests per second.
import { Pool } from 'undici';

export async function httpKeepAlive(port: number, connections: number, seconds: number): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const { statusCode, body } = await pool.request({ path: '/', method: 'GET' });
        await body.dump();
        if (statusCode !== 200) throw new Error(`status ${statusCode}`);
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return done / elapsed;
}
