// The plainest Node proxy that finds every RESP value: `data` events and `write` both ways, each
// chunk scanned for whole values (counted, nothing else), leftovers carried to the next chunk.
// With --pair it also does the least a protocol-aware proxy must: it reads each command's name
// and pairs each reply with the oldest command not answered yet. What finding and pairing
// commands costs in Node, against what vaurien's framing costs (bench/RESULTS.md, "Issue #19",
// third and fourth passes). Usage: resp-scan-proxy.ts BACKEND_PORT [--no-scan | --pair]
// — prints "listening PORT"; on SIGINT prints the values seen to stderr.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

const backendPort = Number(process.argv[2]);
const scanning = !process.argv.includes('--no-scan');
const pairing = process.argv.includes('--pair');
const CR_LF_LENGTH = 2;
/** Commands forwarded and not answered yet, compacted now and then. */
const COMPACT_AT = 1024;
let values = 0;
let paired = 0;

/** A connection's commands awaiting their reply, oldest first (names only). */
class Awaiting {
  private names: string[] = [];
  private head = 0;

  push(name: string): void {
    this.names.push(name);
  }

  shift(): string | undefined {
    const name = this.names[this.head];
    if (name === undefined) return undefined;
    this.head++;
    if (this.head >= COMPACT_AT) {
      this.names = this.names.slice(this.head);
      this.head = 0;
    }
    return name;
  }
}

/** The name of the command (an array of bulk strings) at `pos`, which ends at `end`. */
function commandName(bytes: Buffer, pos: number, end: number): string {
  const head = lineEnd(bytes, pos + 1);
  const body = head === -1 || bytes[head] !== 0x24 ? -1 : lineEnd(bytes, head + 1);
  if (body === -1) return '';
  const length = numberIn(bytes, head + 1, body);
  return length < 0 || body + length > end ? '' : bytes.toString('latin1', body, body + length);
}

/** After the LF of the line that starts at `pos`, or -1. */
function lineEnd(bytes: Buffer, pos: number): number {
  const lf = bytes.indexOf(0x0a, pos);
  return lf === -1 ? -1 : lf + 1;
}

/** The decimal number between `pos` and the CR LF before `end` (-1 for `$-1`). */
function numberIn(bytes: Buffer, pos: number, end: number): number {
  if (bytes[pos] === 0x2d) return -1;
  let value = 0;
  for (let at = pos; at < end - CR_LF_LENGTH; at++) value = value * 10 + ((bytes[at] as number) - 0x30);
  return value;
}

/** Where the value at `pos` ends, or -1 when it runs past the bytes. */
function valueEnd(bytes: Buffer, pos: number): number {
  const type = bytes[pos];
  const head = lineEnd(bytes, pos + 1);
  if (head === -1) return -1;
  if (type === 0x24) {
    const length = numberIn(bytes, pos + 1, head);
    const end = head + length + CR_LF_LENGTH;
    return length < 0 ? head : end > bytes.length ? -1 : end;
  }
  if (type === 0x2a) {
    let at = head;
    for (let element = numberIn(bytes, pos + 1, head); element > 0 && at !== -1; element--) at = valueEnd(bytes, at);
    return at;
  }
  return head;
}

/**
 * A scanner for one direction: counts the whole values of each chunk, keeps a value's start for
 * the next. With `awaiting`, commands are noted in it (`request`) or replies paired from it.
 */
function scanner(awaiting?: Awaiting, request?: boolean): (chunk: Buffer) => void {
  let held: Buffer | undefined;
  return (chunk) => {
    const bytes = held === undefined ? chunk : Buffer.concat([held, chunk]);
    held = undefined;
    for (let pos = 0; pos < bytes.length; values++) {
      const end = valueEnd(bytes, pos);
      if (end === -1) {
        held = Buffer.from(bytes.subarray(pos));
        return;
      }
      if (awaiting !== undefined) {
        if (request === true) awaiting.push(commandName(bytes, pos, end));
        else if (awaiting.shift() !== undefined) paired++;
      }
      pos = end;
    }
  };
}

/** Forwards `from` to `to`, each chunk scanned first; pauses `from` while `to` is over its high-water mark. */
function forward(from: Socket, to: Socket, awaiting: Awaiting | undefined, request: boolean): void {
  const scan = scanning ? scanner(awaiting, request) : undefined;
  from.on('data', (chunk: Buffer) => {
    scan?.(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
  from.on('close', () => to.destroy());
}

const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const backend = connect({ port: backendPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
  const awaiting = pairing ? new Awaiting() : undefined;
  forward(client, backend, awaiting, true);
  forward(backend, client, awaiting, false);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGINT', () => {
  process.stderr.write(`values ${values}, replies paired ${paired}\n`);
  process.exit(0);
});
