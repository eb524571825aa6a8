// The Node flags a `vaurien` process runs with; the bin's shebang and `npm start` carry the same
// (a test holds them equal).
// - `--max-semi-space-size=4`: V8 grows the young generation up to 16 MiB under a high
//   allocation rate; the socket buffers it keeps alive between scavenges then made glibc trim
//   and re-fault its heap (100–300 minor page faults per MB proxied against 20 for a bare pipe
//   proxy). Capped at 4 MiB: tcp bulk 367 → 416 MB/s, CPU per MB 2.8 → 2.35 ms.
// - `--initial-heap-size=64`: V8 counts external memory allocated since the last mark-compact
//   (socket buffers: ~36 MB in flight under bulk traffic) against the old generation's limit,
//   which a mark-compact sets from the live heap (8 MB live: a 19 MB limit). Under bulk traffic
//   vaurien then ran a mark-compact every ~60 ms (--trace-gc: "GC in old space requested",
//   marking started by the allocation limit with 8 of 19 MB used), the bare pipe proxy none. A
//   64 MB initial heap keeps the limit above the buffers in flight: no mark-compact in the same
//   runs, CPU per MB of a fresh 0.4 s bulk stream 2.9–4.5 → 1.5–2.3 ms (pipe proxy 1.5–2.5).
// - `--no-allocation-site-pretenuring`: under connection churn V8 pretenured object literals of
//   a connection's set-up; in the old generation each dead one kept the young objects it points
//   to alive through the next scavenge, so three times as much survived each scavenge as in a
//   bare pipe proxy (bench/RESULTS.md, "Issue #19, second pass").
// - `--no-concurrent-array-buffer-sweeping`: after each scavenge V8 sweeps the young ArrayBuffers
//   (a socket read's Buffer has one) on a helper thread; under pipelined redis the hand-offs to it
//   and back were 9 000–20 000 futex calls a second. Swept on the main thread instead: CPU per
//   pipelined GET, medians, 1.38 → 1.28 µs (bench/RESULTS.md, "Issue #19, fifth pass").
export const VAURIEN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--initial-heap-size=64', '--no-allocation-site-pretenuring', '--no-concurrent-array-buffer-sweeping'];
