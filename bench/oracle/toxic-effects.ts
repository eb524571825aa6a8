// Measures each toxic's effect through a Toxiproxy-API server (bench/RESULTS.md's table): one
// proxy on PROXY_PORT before a scripted backend; each toxic added, measured, /reset. A tool:
//   node --import tsx bench/oracle/toxic-effects.ts http://127.0.0.1:8474 27101
import { createServer, connect, type Socket } from 'node:net';
const api = process.argv[2] as string;
const proxyPort = Number(process.argv[3]);
// Backend: "SEND n\n" -> n bytes then FIN; "ECHO\n" -> echo; "CLOSE\n" -> "hi" then FIN
const backend = createServer({ allowHalfOpen: true, noDelay: process.env['NODELAY'] === '1' }, (socket) => {
  socket.on('error', () => {});
  let line = '';
  const onData = (data: Buffer) => {
    line += data.toString('latin1');
    const at = line.indexOf('\n');
    if (at === -1) return;
    socket.off('data', onData);
    const [cmd, arg] = line.slice(0, at).split(' ');
    const rest = line.slice(at + 1);
    if (cmd === 'SEND') socket.end(Buffer.alloc(Number(arg), 0x61));
    else if (cmd === 'CLOSE') socket.end('hi');
    else { socket.write('ok\n'); if (rest) socket.write(rest); socket.pipe(socket); }
  };
  socket.on('data', onData);
});
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = (backend.address() as { port: number }).port;
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(api + path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
};
await call('POST', '/proxies', { name: 'fx', listen: `127.0.0.1:${proxyPort}`, upstream: `127.0.0.1:${backendPort}` });
interface Run { bytes: number; chunks: number; firstMs: number; endMs: number; how: string }
function session(send: string, opts: { stopAt?: number; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket: Socket = connect({ port: proxyPort, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(send));
    let bytes = 0, chunks = 0, firstMs = -1;
    const done = (how: string) => { socket.destroy(); clearTimeout(timer); resolve({ bytes, chunks, firstMs, endMs: performance.now() - started, how }); };
    const timer = setTimeout(() => done('timeout'), opts.timeoutMs ?? 5000);
    socket.on('data', (data) => { if (firstMs < 0) firstMs = performance.now() - started; bytes += data.length; chunks++; if (opts.stopAt !== undefined && bytes >= opts.stopAt) done('enough'); });
    socket.on('end', () => done('FIN'));
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });
}
const toxic = (body: object) => call('POST', '/proxies/fx/toxics', body);
const clear = () => call('POST', '/reset');
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const out: Record<string, string> = {};
// warm-up, then baseline
for (let i = 0; i < 30; i++) await session('ECHO\nx', { stopAt: 4 });
{ const r = []; for (let i = 0; i < 10; i++) r.push((await session('ECHO\nx', { stopAt: 4 })).endMs); out['none: echo RTT'] = `${med(r).toFixed(1)} ms`; }
await toxic({ type: 'latency', attributes: { latency: 100 } });
{ const r = []; for (let i = 0; i < 10; i++) r.push((await session('ECHO\nx', { stopAt: 4 })).endMs); out['latency 100'] = `RTT median ${med(r).toFixed(1)} ms`; }
await clear();
await toxic({ type: 'latency', attributes: { latency: 100, jitter: 50 } });
{ const r = []; for (let i = 0; i < 30; i++) r.push((await session('ECHO\nx', { stopAt: 4 })).endMs); out['latency 100 jitter 50'] = `RTT min ${Math.min(...r).toFixed(0)} median ${med(r).toFixed(0)} max ${Math.max(...r).toFixed(0)} ms`; }
await clear();
await toxic({ type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
await toxic({ type: 'latency', attributes: { latency: 50 } });
{ const r = []; for (let i = 0; i < 10; i++) r.push((await session('ECHO\nx', { stopAt: 4 })).endMs); out['latency up 100 + down 50'] = `RTT median ${med(r).toFixed(1)} ms`; }
await clear();
await toxic({ type: 'bandwidth', attributes: { rate: 100 } });
{ const r = await session('SEND 200000\n', { timeoutMs: 10000 }); out['bandwidth 100 KB/s, 200 KB'] = `${r.bytes} B in ${r.endMs.toFixed(0)} ms = ${(r.bytes / r.endMs).toFixed(1)} KB/s, ${r.chunks} reads, ${r.how}`; }
await clear();
await toxic({ type: 'bandwidth', attributes: { rate: 0 } });
{ const r = await session('SEND 1000\n', { timeoutMs: 1500 }); out['bandwidth 0'] = `${r.bytes} B in 1.5 s, ${r.how}`; }
await clear();
await toxic({ type: 'slow_close', attributes: { delay: 300 } });
{ const r = await session('CLOSE\n'); out['slow_close 300'] = `data at ${r.firstMs.toFixed(0)} ms, ${r.how} at ${r.endMs.toFixed(0)} ms`; }
await clear();
await toxic({ type: 'timeout', attributes: { timeout: 200 } });
{ const r = await session('ECHO\nx'); out['timeout 200'] = `${r.bytes} B, ${r.how} at ${r.endMs.toFixed(0)} ms`; }
await clear();
await toxic({ type: 'timeout', attributes: { timeout: 0 } });
{ const r = await session('ECHO\nx', { timeoutMs: 1500 }); out['timeout 0'] = `${r.bytes} B, ${r.how} (1.5 s wait)`; }
await clear();
await toxic({ type: 'reset_peer', attributes: { timeout: 100 } });
{ const r = await session('ECHO\nx'); out['reset_peer 100'] = `${r.bytes} B, ${r.how} at ${r.endMs.toFixed(0)} ms`; }
await clear();
await toxic({ type: 'reset_peer', attributes: { timeout: 0 } });
{ const r = await session('ECHO\nx'); out['reset_peer 0'] = `${r.bytes} B, ${r.how} at ${r.endMs.toFixed(0)} ms`; }
await clear();
await toxic({ type: 'slicer', attributes: { average_size: 100, size_variation: 20, delay: 1000 } });
{ const r = await session('SEND 10000\n'); out['slicer 100±20, 1000 µs, 10 KB'] = `${r.bytes} B in ${r.chunks} reads (${(r.bytes / r.chunks).toFixed(0)} B avg), ${r.endMs.toFixed(0)} ms, ${r.how}`; }
await clear();
await toxic({ type: 'slicer', attributes: { average_size: 1000, size_variation: 0, delay: 0 } });
{ const r = await session('SEND 10000\n'); out['slicer 1000, 0 µs, 10 KB'] = `${r.bytes} B in ${r.chunks} reads, ${r.endMs.toFixed(0)} ms, ${r.how}`; }
await clear();
await toxic({ type: 'limit_data', attributes: { bytes: 1000 } });
{ const r = await session('SEND 5000\n'); out['limit_data 1000, 5 KB sent'] = `${r.bytes} B, ${r.how}`; }
await clear();
await toxic({ type: 'noop' });
{ const r = []; for (let i = 0; i < 10; i++) r.push((await session('ECHO\nx', { stopAt: 4 })).endMs); out['noop: echo RTT'] = `${med(r).toFixed(1)} ms`; }
await clear();
await toxic({ type: 'latency', toxicity: 0.5, attributes: { latency: 100 } });
{ let slow = 0; for (let i = 0; i < 40; i++) if ((await session('ECHO\nx', { stopAt: 4 })).endMs > 90) slow++; out['latency 100 toxicity 0.5'] = `${slow}/40 connections delayed`; }
await call('DELETE', '/proxies/fx');
for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(32)} ${v}`);
backend.close();
process.exit(0);
