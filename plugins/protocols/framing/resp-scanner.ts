// An incremental RESP2/RESP3 scanner: tells where each top-level value (its attributes
// included) ends, whatever the chunking, and keeps no bytes: header numbers are parsed byte
// by byte, bulk bodies are skipped by count, so a 100 MB value costs no memory here.
// It also notes the first elements of a top-level array or push, for the framers to read.
import { latin1Text } from './latin1-text.js';

/** What a call to `scan` stopped at; ordered by weight (when two coincide, the heavier is reported). */
export const RespEvent = {
  /** The chunk was consumed; the value goes on. */
  None: 0,
  /** The top-level value's type and length are known (`topType`, `topLength`). */
  Head: 1,
  /** One more of the first elements of a top-level array or push is known (`knownElements`). */
  Element: 2,
  /** The top-level value is complete; the next byte starts a new one. */
  End: 3,
  /** The bytes are not RESP (`problem` says why); the scanner is unusable afterwards. */
  Malformed: 4,
} as const;
export type RespEvent = (typeof RespEvent)[keyof typeof RespEvent];

/** How many first elements of a top-level array or push are noted. */
export const NOTED_ELEMENTS = 3;
/** Longest element text noted: command names, pub/sub kinds and counts are far shorter. */
export const NOTE_MAX = 64;
/** Deepest nesting accepted: real replies nest a few levels; garbage could nest without end. */
const MAX_DEPTH = 4096;
/** Digits of a length: 15 keep it a safe integer. */
export const MAX_DIGITS = 15;

const CR = 0x0d;
const LF = 0x0a;
const MINUS = 0x2d;
const QUESTION = 0x3f;
const ZERO = 0x30;
const NINE = 0x39;

/** RESP type bytes. */
export const RespType = {
  array: 0x2a, // *
  map: 0x25, // %
  set: 0x7e, // ~
  push: 0x3e, // >
  attribute: 0x7c, // |
  bulk: 0x24, // $
  bulkError: 0x21, // !
  verbatim: 0x3d, // =
  simple: 0x2b, // +
  error: 0x2d, // -
  integer: 0x3a, // :
  null: 0x5f, // _
  boolean: 0x23, // #
  double: 0x2c, // ,
  bigNumber: 0x28, // (
  streamEnd: 0x2e, // .  ends a streamed aggregate
  streamChunk: 0x3b, // ;  a part of a streamed string
} as const;

// What follows a type byte.
const LINE = 1; // text up to CRLF
const BULK = 2; // a length, CRLF, that many bytes, CRLF
const AGGREGATE = 3; // a count, CRLF, that many values
const PAIRS = 4; // a count, CRLF, twice that many values (maps, attributes)
const KIND = new Uint8Array(256);
for (const type of [RespType.simple, RespType.error, RespType.integer, RespType.null, RespType.boolean, RespType.double, RespType.bigNumber]) KIND[type] = LINE;
for (const type of [RespType.bulk, RespType.bulkError, RespType.verbatim]) KIND[type] = BULK;
for (const type of [RespType.array, RespType.set, RespType.push]) KIND[type] = AGGREGATE;
for (const type of [RespType.map, RespType.attribute]) KIND[type] = PAIRS;

// Scanner states.
const S_TYPE = 0;
const S_NUMBER = 1;
const S_NUMBER_LF = 2;
const S_LINE = 3;
const S_BODY = 4;
const S_BODY_CR = 5;
const S_BODY_LF = 6;

/**
 * Reads a plain length line, `digits CR LF`, at `pos`: where it ends (after the LF), its value
 * in `into.length`; -1 when it is not plain digits (a sign, `?`, too many digits) or `data`
 * ends first.
 */
export function readLengthLine(data: Buffer, pos: number, into: { length: number }): number {
  // One digit, the usual case (`*2`, `$3`): no loop.
  const digit = (data[pos] as number) - ZERO;
  if (digit >= 0 && digit <= 9 && data[pos + 1] === CR && data[pos + 2] === LF) {
    into.length = digit;
    return pos + 3;
  }
  let value = 0;
  let at = pos;
  for (; at < data.length && at - pos <= MAX_DIGITS; at++) {
    const byte = data[at] as number;
    if (byte < ZERO || byte > NINE) break;
    value = value * 10 + (byte - ZERO);
  }
  if (at === pos || at - pos > MAX_DIGITS || at + 1 >= data.length || data[at] !== CR || data[at + 1] !== LF) return -1;
  into.length = value;
  return at + 2;
}

export class RespScanner {
  /** What the last `scan` stopped at. */
  event: RespEvent = RespEvent.None;
  /** Why the bytes are not RESP, once `Malformed` was reported. */
  problem = '';
  /** Type byte of the top-level value (its attributes excluded); 0 until its head is known. */
  topType = 0;
  /** Elements of a top-level aggregate, bytes of a bulk: -1 for a null, Infinity when streamed, 0 for a line. */
  topLength = 0;
  /** How many of the first elements of a top-level array or push are known. */
  knownElements = 0;
  /** Type byte of each known first element (entries past `knownElements` are stale). */
  readonly elementTypes: number[] = new Array<number>(NOTED_ELEMENTS).fill(0);
  /** Text (latin1) of each known first element that is a short scalar, else undefined (entries past `knownElements` are stale). */
  readonly elementTexts: Array<string | undefined> = new Array<string | undefined>(NOTED_ELEMENTS).fill(undefined);

  /**
   * @param notedElements how many first elements of a top-level array to note (at most
   * NOTED_ELEMENTS): a side that needs only the command name saves a string per command.
   */
  constructor(
    readonly notedElements: number = NOTED_ELEMENTS,
    /** Given an array's first element (a command name), how many first elements to note for it (more than `notedElements` for a few). */
    readonly widen?: (first: string) => number,
  ) {}

  /** How many first elements of the current top-level value are noted. */
  noteLimit = 0;

  private state = S_TYPE;
  /** Between top-level values. */
  private idle = true;
  /** Per open aggregate: values still expected (Infinity when streamed), and whether it is an attribute. */
  private readonly remaining: number[] = [];
  private readonly attribute: boolean[] = [];
  private numberType = 0;
  private numberValue = 0;
  private numberDigits = 0;
  private numberNegative = false;
  private numberStreamed = false;
  private readonly lengthRead = { length: 0 };
  private bodyRemaining = 0;
  private lineEndsStream = false;
  private inStreamedString = false;
  /** Completed direct elements of the top-level aggregate. */
  private topElements = 0;
  /** Index of the first element whose text is being noted, -1 if none. */
  private noting = -1;
  private noteText: string | undefined = '';

  /**
   * Scans `data` from `from` until the end or an event; returns where it stopped. The event
   * is in `event`; scanning on from the returned position continues the same stream.
   */
  scan(data: Buffer, from: number): number {
    const end = data.length;
    let pos = from;
    let event: RespEvent = RespEvent.None;
    while (pos < end && event === RespEvent.None) {
      switch (this.state) {
        case S_TYPE:
          event = this.onType(data[pos++] as number);
          // (The switch narrowed `state` to S_TYPE; onType may have changed it.)
          if (event === RespEvent.None && (this.state as number) === S_NUMBER) {
            // A length line wholly in this chunk is read in one pass rather than byte by byte.
            const after = this.wholeNumber(data, pos);
            if (after !== -1) {
              pos = after;
              event = this.onHeader();
            }
          }
          break;
        case S_NUMBER:
          event = this.onNumberByte(data[pos++] as number);
          break;
        case S_NUMBER_LF:
          event = data[pos++] === LF ? this.onHeader() : this.malformed('a length line does not end with CRLF');
          break;
        case S_LINE: {
          const lf = data.indexOf(LF, pos);
          const stop = lf === -1 ? end : lf;
          if (this.noting !== -1) event = this.note(data.toString('latin1', pos, stop));
          if (lf === -1) {
            pos = end;
          } else {
            pos = lf + 1;
            // Events are ordered by weight: the end of the value outranks a noted element.
            event = Math.max(event, this.onLineEnd()) as RespEvent;
          }
          break;
        }
        case S_BODY: {
          const take = Math.min(this.bodyRemaining, end - pos);
          if (this.noting !== -1) this.note(latin1Text(data, pos, pos + take));
          pos += take;
          this.bodyRemaining -= take;
          if (this.bodyRemaining > 0) break;
          if (pos + 1 < end && data[pos] === CR && data[pos + 1] === LF) {
            // The body's CRLF is in this chunk too: the value (or element) is complete.
            pos += 2;
            this.state = S_TYPE;
            if (!this.inStreamedString) event = this.completeValue();
          } else {
            this.state = S_BODY_CR;
          }
          break;
        }
        case S_BODY_CR:
          event = data[pos++] === CR ? ((this.state = S_BODY_LF), RespEvent.None) : this.malformed('a bulk body is not followed by CRLF');
          break;
        default: // S_BODY_LF
          if (data[pos++] !== LF) {
            event = this.malformed('a bulk body is not followed by CRLF');
          } else {
            this.state = S_TYPE;
            // A part of a streamed string: more parts follow, up to `;0`.
            if (!this.inStreamedString) event = this.completeValue();
          }
      }
    }
    this.event = event;
    return pos;
  }

  /**
   * Where the length line starting at `pos` ends (after its LF), with its value in
   * `numberValue`; -1 when it is not plain digits and CRLF within the chunk (the byte-by-byte
   * path then reads it, and reports what is wrong with it).
   */
  private wholeNumber(data: Buffer, pos: number): number {
    const after = readLengthLine(data, pos, this.lengthRead);
    if (after !== -1) this.numberValue = this.lengthRead.length;
    return after;
  }

  private onType(type: number): RespEvent {
    if (this.inStreamedString) {
      if (type !== RespType.streamChunk) return this.malformed('a streamed string part does not start with ";"');
      return this.startNumber(type);
    }
    if (this.idle) this.startTopValue();
    const depth = this.remaining.length;
    if (type === RespType.streamEnd) {
      if (depth === 0 || this.remaining[depth - 1] !== Infinity) return this.malformed('"." outside a streamed aggregate');
      this.lineEndsStream = true;
      this.state = S_LINE;
      return RespEvent.None;
    }
    const kind = KIND[type];
    if (kind === 0) return this.malformed(`unknown type byte 0x${type.toString(16).padStart(2, '0')}`);
    let event: RespEvent = RespEvent.None;
    if (depth === 1 && this.noteworthy() && type !== RespType.attribute && this.topElements < this.noteLimit) {
      const index = this.topElements;
      this.elementTypes[index] = type;
      if (kind === AGGREGATE || kind === PAIRS) {
        // An aggregate has no text to note: it is known as soon as it starts.
        event = this.elementKnown(index, undefined);
      } else {
        this.noting = index;
        this.noteText = '';
      }
    }
    if (kind === LINE) {
      this.state = S_LINE;
      return depth === 0 ? this.head(type, 0) : event;
    }
    this.startNumber(type);
    return event;
  }

  private startTopValue(): void {
    this.idle = false;
    this.topType = 0;
    this.topLength = 0;
    this.topElements = 0;
    this.noteLimit = this.notedElements;
    // elementTypes/elementTexts keep stale entries: only the first `knownElements` are meaningful.
    this.knownElements = 0;
  }

  /** Direct elements of a top-level array or push are noted (not those of maps, sets, attributes). */
  private noteworthy(): boolean {
    return !(this.attribute[0] as boolean) && (this.topType === RespType.array || this.topType === RespType.push);
  }

  private startNumber(type: number): RespEvent {
    this.numberType = type;
    this.numberValue = 0;
    this.numberDigits = 0;
    this.numberNegative = false;
    this.numberStreamed = false;
    this.state = S_NUMBER;
    return RespEvent.None;
  }

  private onNumberByte(byte: number): RespEvent {
    if (byte >= ZERO && byte <= NINE && !this.numberStreamed) {
      if (++this.numberDigits > MAX_DIGITS) return this.malformed('a length has too many digits');
      this.numberValue = this.numberValue * 10 + (byte - ZERO);
      return RespEvent.None;
    }
    const fresh = this.numberDigits === 0 && !this.numberNegative && !this.numberStreamed;
    if (byte === CR && (this.numberDigits > 0 || this.numberStreamed)) {
      this.state = S_NUMBER_LF;
      return RespEvent.None;
    }
    if (byte === MINUS && fresh) {
      this.numberNegative = true;
      return RespEvent.None;
    }
    if (byte === QUESTION && fresh && this.numberType !== RespType.streamChunk) {
      this.numberStreamed = true;
      return RespEvent.None;
    }
    return this.malformed('a length is not a number');
  }

  /** A length line is complete. */
  private onHeader(): RespEvent {
    const type = this.numberType;
    const length = this.numberStreamed ? Infinity : this.numberNegative ? -this.numberValue : this.numberValue;
    const topLevel = this.remaining.length === 0 && type !== RespType.attribute && type !== RespType.streamChunk;
    if (length < -1 || (length === -1 && type === RespType.streamChunk)) return this.malformed('a negative length');
    if (type === RespType.streamChunk) {
      if (length === 0) {
        this.inStreamedString = false;
        this.state = S_TYPE;
        return this.completeValue();
      }
      return this.startBody(length);
    }
    const head = topLevel ? this.head(type, length) : RespEvent.None;
    if (KIND[type] === BULK) {
      if (length === -1) return this.completeNull();
      if (length === Infinity) {
        if (type !== RespType.bulk) return this.malformed('only "$" strings can be streamed');
        this.inStreamedString = true;
        this.state = S_TYPE;
        return topLevel ? head : this.dropNote();
      }
      this.startBody(length);
      return topLevel ? head : length > NOTE_MAX ? this.dropNote() : RespEvent.None;
    }
    // An aggregate.
    if (length === -1) return this.completeNull();
    const count = KIND[type] === PAIRS ? length * 2 : length;
    this.state = S_TYPE;
    if (count === 0) {
      const completed = this.completeValue();
      return completed === RespEvent.None ? head : completed;
    }
    if (this.remaining.length >= MAX_DEPTH) return this.malformed('aggregates nested too deep');
    this.remaining.push(count);
    this.attribute.push(type === RespType.attribute);
    return head;
  }

  private startBody(length: number): RespEvent {
    this.bodyRemaining = length;
    this.state = length === 0 ? S_BODY_CR : S_BODY;
    return RespEvent.None;
  }

  private completeNull(): RespEvent {
    this.state = S_TYPE;
    this.noteText = undefined; // a null element has no text (not even an empty one)
    return this.completeValue();
  }

  private head(type: number, length: number): RespEvent {
    this.topType = type;
    this.topLength = length;
    return RespEvent.Head;
  }

  private onLineEnd(): RespEvent {
    this.state = S_TYPE;
    if (this.lineEndsStream) {
      // `.` closes the innermost streamed aggregate, which completes as a value of its parent
      // (unless it was an attribute, which belongs to the value after it).
      this.lineEndsStream = false;
      this.remaining.pop();
      if (this.attribute.pop() === true) return RespEvent.None;
    }
    return this.completeValue();
  }

  /** Adds text to the element being noted; past NOTE_MAX it is not worth noting. */
  private note(text: string): RespEvent {
    const noted = (this.noteText ?? '') + text;
    this.noteText = noted;
    return noted.length > NOTE_MAX + 1 ? this.dropNote() : RespEvent.None; // +1: a line's CR
  }

  /** The element being noted is too long (or streamed): known, without text. */
  private dropNote(): RespEvent {
    const index = this.noting;
    if (index === -1) return RespEvent.None;
    this.noting = -1;
    return this.elementKnown(index, undefined);
  }

  private elementKnown(index: number, text: string | undefined): RespEvent {
    this.elementTexts[index] = text;
    this.knownElements = index + 1;
    if (index === 0 && text !== undefined && this.widen !== undefined) this.noteLimit = Math.min(NOTED_ELEMENTS, Math.max(this.noteLimit, this.widen(text)));
    return RespEvent.Element;
  }

  /** A value is complete: count it in its parent, and close every aggregate it completes. */
  private completeValue(): RespEvent {
    let event: RespEvent = RespEvent.None;
    for (;;) {
      const depth = this.remaining.length;
      if (depth === 0) {
        this.idle = true;
        return RespEvent.End;
      }
      if (depth === 1 && this.noteworthy()) {
        const index = this.topElements++;
        if (index === this.noting) {
          this.noting = -1;
          // A line's text was read up to its LF, so it ends with the CR; a bulk body's is exact.
          const line = KIND[this.elementTypes[index] as number] === LINE;
          const text = line && this.noteText?.endsWith('\r') === true ? this.noteText.slice(0, -1) : this.noteText;
          event = this.elementKnown(index, text);
        }
      }
      const left = (this.remaining[depth - 1] as number) - 1;
      if (left > 0) {
        this.remaining[depth - 1] = left;
        return event;
      }
      this.remaining.pop();
      // An attribute belongs to the value after it: completing it completes nothing else.
      if (this.attribute.pop() === true) return event;
    }
  }

  private malformed(problem: string): RespEvent {
    this.problem = problem;
    return RespEvent.Malformed;
  }
}
