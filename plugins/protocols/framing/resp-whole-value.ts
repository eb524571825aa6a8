// The common shapes of a RESP value read in one pass when the whole value lies in the chunk:
// a bulk string (a null one too), a simple line (+ - :), or an array of bulk strings (every
// command a client sends, most array replies). The scanner reads every value byte by byte
// through its state machine, stopping at each element it notes; on pipelined traffic that was
// most of the framing cost. What this leaves in the scanner is exactly what the scanner would
// have left at the value's end; anything else (null arrays and elements, nesting, RESP3 types,
// a value cut by the chunk's end) is left to the scanner, from the same position.
import { latin1Text } from './latin1-text.js';
import { NOTE_MAX, NOTED_ELEMENTS, readLengthLine, RespType, type RespScanner } from './resp-scanner.js';

const CR = 0x0d;
const LF = 0x0a;
const MINUS = 0x2d;
const ONE = 0x31;

/** Reads whole values for one scanner (one direction of a connection). */
export class WholeValueReader {
  /** The length read by the last lengthEnd or bulkEnd. */
  private readonly number = { length: 0 };

  constructor(private readonly scanner: RespScanner) {}

  /** Where the value at `pos` ends (after its last LF), with the scanner's notes set; -1 to leave it to the scanner. */
  read(data: Buffer, pos: number): number {
    const type = data[pos];
    if (type === RespType.simple || type === RespType.error || type === RespType.integer) {
      const lf = data.indexOf(LF, pos + 1);
      if (lf === -1) return -1;
      this.note(type, 0, 0);
      return lf + 1;
    }
    if (type === RespType.bulk) {
      // `$-1`: a null (a redis cache miss), as common a reply as a value.
      if (data[pos + 1] === MINUS && data[pos + 2] === ONE && data[pos + 3] === CR && data[pos + 4] === LF) {
        this.note(type, -1, 0);
        return pos + 5;
      }
      const end = this.bulkEnd(data, pos + 1);
      if (end === -1) return -1;
      this.note(type, this.number.length, 0);
      return end;
    }
    if (type !== RespType.array) return -1;
    let at = this.lengthEnd(data, pos + 1);
    const count = this.number.length;
    if (at === -1 || count === 0) return -1;
    const { elementTypes, elementTexts, widen } = this.scanner;
    let noted = Math.min(count, this.scanner.notedElements);
    for (let element = 0; element < count; element++) {
      if (data[at] !== RespType.bulk) return -1;
      const end = this.bulkEnd(data, at + 1);
      if (end === -1) return -1;
      if (element < noted) {
        const length = this.number.length;
        const body = end - 2 - length;
        elementTypes[element] = RespType.bulk;
        const text = length > NOTE_MAX ? undefined : latin1Text(data, body, body + length);
        elementTexts[element] = text;
        if (element === 0 && text !== undefined && widen !== undefined) noted = Math.min(count, NOTED_ELEMENTS, Math.max(noted, widen(text)));
      }
      at = end;
    }
    this.note(RespType.array, count, noted);
    return at;
  }

  /** After the `digits CR LF` at `pos` (the number in `number.length`), or -1. */
  private lengthEnd(data: Buffer, pos: number): number {
    return readLengthLine(data, pos, this.number);
  }

  /** After the `length CR LF body CR LF` of a bulk string whose length starts at `pos`, or -1. */
  private bulkEnd(data: Buffer, pos: number): number {
    const body = this.lengthEnd(data, pos);
    if (body === -1) return -1;
    const end = body + this.number.length;
    if (end + 1 >= data.length || data[end] !== CR || data[end + 1] !== LF) return -1;
    return end + 2;
  }

  private note(type: number, length: number, known: number): void {
    const scanner = this.scanner;
    scanner.topType = type;
    scanner.topLength = length;
    scanner.knownElements = known;
  }
}
