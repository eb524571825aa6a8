// The Node flags a `vaurien` process runs with. V8 grows the young generation up to 16 MiB under
// a high allocation rate; the socket buffers it keeps alive between scavenges then make glibc
// trim and re-fault its heap (measured: 100–300 minor page faults per MB proxied against 20 for
// a bare pipe proxy). Capped at 4 MiB, tcp bulk through vaurien went from 367 to 416 MB/s and
// its CPU per MB from 2.8 to 2.35 ms (bare pipe proxy: 462 MB/s, 2.0 ms), with request rates
// unchanged. The bin's shebang and `npm start` carry the same flags (a test holds them equal).
export const VAURIEN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
