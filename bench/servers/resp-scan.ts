// The least a protocol-aware Node proxy does with redis traffic: find every whole RESP value of
// each chunk (leftovers carried to the next) and, when pairing, read each command's name and pair
// each reply with the oldest command not answered yet. Used by resp-scan-proxy.ts and, with no
// sockets, by engine-per-value.ts (the floor vaurien's engine is measured against).

const CR_LF_LENGTH = 2;
/** Commands forwarded and not answered yet, compacted now and then. */
const COMPACT_AT = 1024;

/** What the scanners of a process found. */
export interface ScanCounts {
  values: number;
  paired: number;
}

/** A connection's commands awaiting their reply, oldest first (names only). */
export class Awaiting {
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
export function scanner(counts: ScanCounts, awaiting?: Awaiting, request?: boolean): (chunk: Buffer) => void {
  let held: Buffer | undefined;
  return (chunk) => {
    const bytes = held === undefined ? chunk : Buffer.concat([held, chunk]);
    held = undefined;
    for (let pos = 0; pos < bytes.length; counts.values++) {
      const end = valueEnd(bytes, pos);
      if (end === -1) {
        held = Buffer.from(bytes.subarray(pos));
        return;
      }
      if (awaiting !== undefined) {
        if (request === true) awaiting.push(commandName(bytes, pos, end));
        else if (awaiting.shift() !== undefined) counts.paired++;
      }
      pos = end;
    }
  };
}
