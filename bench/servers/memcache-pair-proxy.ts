// The least a Node proxy that knows memcache's text protocol does: `data` events and `write` both
// ways, every line of each chunk found (leftovers carried to the next), each command's name read
// and a storage command's data block skipped; on the way back a VALUE line's block skipped and
// each answer (a line that is not VALUE: END, STORED, an error…) paired with the oldest command.
// Chunks go on whole. What a protocol-aware memcache proxy cannot avoid in Node, against which
// vaurien's memcache framing is measured (bench/RESULTS.md, "Issue #19, sixth pass").
// Usage: memcache-pair-proxy.ts BACKEND_PORT — prints "listening PORT".
import { connect, createServer, type AddressInfo } from 'node:net';
import { Awaiting } from './resp-scan.js';
import { forwardScanned } from './scanned-forward.js';

const backendPort = Number(process.argv[2]);
const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;
/** Commands followed by a data block whose size is their fourth argument. */
const STORAGE: ReadonlySet<string> = new Set(['set', 'add', 'replace', 'append', 'prepend', 'cas']);
let paired = 0;

/** Where the token at `start` ends (a space, CR or the line's end). */
function tokenEnd(bytes: Buffer, start: number, end: number): number {
  let at = start;
  while (at < end && bytes[at] !== SPACE && bytes[at] !== CR) at++;
  return at;
}

/** The decimal number that is the `index`th token of the line [start, end). */
function numberAt(bytes: Buffer, start: number, end: number, index: number): number {
  let at = start;
  for (let token = 0; token < index; token++) at = tokenEnd(bytes, at, end) + 1;
  let value = 0;
  for (; at < end; at++) {
    const digit = (bytes[at] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

/** A direction's scanner: `onLine` gets each line and answers how many bytes after it to skip (a data block). */
function lineScanner(onLine: (bytes: Buffer, start: number, end: number) => number): (chunk: Buffer) => void {
  let held: Buffer | undefined;
  let skip = 0;
  return (chunk) => {
    const bytes = held === undefined ? chunk : Buffer.concat([held, chunk]);
    held = undefined;
    let at = 0;
    while (at < bytes.length) {
      if (skip > 0) {
        const taken = Math.min(skip, bytes.length - at);
        skip -= taken;
        at += taken;
        continue;
      }
      const lf = bytes.indexOf(LF, at);
      if (lf === -1) {
        held = Buffer.from(bytes.subarray(at));
        return;
      }
      skip = onLine(bytes, at, lf + 1);
      at = lf + 1;
    }
  };
}

const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const backend = connect({ port: backendPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
  const awaiting = new Awaiting();
  const commands = lineScanner((bytes, start, end) => {
    const name = bytes.toString('latin1', start, tokenEnd(bytes, start, end));
    awaiting.push(name);
    return STORAGE.has(name) ? numberAt(bytes, start, end, 4) + 2 : 0;
  });
  const answers = lineScanner((bytes, start, end) => {
    // `VALUE <key> <flags> <bytes>`: its block follows, and the answer goes on to END.
    if (end - start > 6 && bytes.toString('latin1', start, start + 6) === 'VALUE ') return numberAt(bytes, start, end, 3) + 2;
    if (awaiting.shift() !== undefined) paired++;
    return 0;
  });
  forwardScanned(client, backend, commands);
  forwardScanned(backend, client, answers);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGINT', () => {
  process.stderr.write(`answers paired ${paired}\n`);
  process.exit(0);
});
