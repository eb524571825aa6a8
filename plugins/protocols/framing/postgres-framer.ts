// One direction of a PostgreSQL connection: messages are cut into pieces (postgres-messages)
// and each piece becomes a message stamped by its side (request or response) with its exchange,
// `first` and `last`. After an `S` whose TLS vaurien terminates, framing goes on over the
// decrypted streams. Once the connection goes raw (TLS not terminated, GSS encryption, a cancel,
// malformed data, on either side) every byte passes as exchange 0 from the next one on, and a
// half-framed exchange is closed with an empty message so nothing waits for it. Bytes are never
// changed, dropped or held back; push and end return arrays (the engine's fast path) and never throw.
import type { Direction, Message } from '../../../lib/contract/message.js';
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { MessageReader, type MessageKinds, type MessagePiece } from './postgres-messages.js';
import type { PostgresSession } from './postgres-session.js';

/** The protocol knowledge of one direction. */
export interface MessageSide extends MessageKinds {
  /** The message `piece` becomes, or (a string) why the stream makes no sense. */
  message(piece: MessagePiece): Message | string;
  /** The exchange whose side is half framed (its first message out, its last not), if any. */
  openExchange(): number | undefined;
  /** Going raw: exchanges still awaiting an answer that will now never be framed (response side). */
  settle?(): number[];
}

/** First byte of a TLS record carrying a handshake: a client that starts TLS at once (direct SSL). */
const TLS_HANDSHAKE_RECORD = 0x16;
const EMPTY = Buffer.alloc(0);

export function createPostgresFramer(direction: Direction, pieceBytes: number, session: PostgresSession, side: MessageSide, context: FramerContext): Framer {
  const { log } = context;
  const reader = new MessageReader(pieceBytes, side);
  let raw = false;
  let started = false;

  function rawSlices(out: Message[], bytes: Buffer): void {
    for (let start = 0; start < bytes.length; start += pieceBytes) {
      out.push({ bytes: bytes.subarray(start, start + pieceBytes), direction, exchange: 0, first: true, last: true });
    }
  }

  /**
   * Stops framing: closes the half-framed exchange and those still awaiting an answer (an empty
   * last message each, so no reply waits behind them), then `rest` and all after it goes raw.
   */
  function goRaw(out: Message[], rest: readonly Buffer[]): Message[] {
    raw = true;
    const open = side.openExchange();
    if (open !== undefined) out.push({ bytes: EMPTY, direction, exchange: open, first: false, last: true });
    for (const exchange of side.settle?.() ?? []) out.push({ bytes: EMPTY, direction, exchange, first: true, last: true });
    for (const part of rest) rawSlices(out, part);
    return out;
  }

  /**
   * The server's `S` (the last message of `out`): both peers speak TLS next. Terminated, what
   * the reader holds past it goes to the TLS layer and framing goes on over TLS; else it is raw.
   */
  function switchToTls(out: Message[], accepted: Message): Message[] {
    const rest = reader.rest();
    if (context.startTls?.({ direction, exchange: accepted.exchange, rest }) === true) {
      session.tls = 'secured';
      return out;
    }
    log.info('postgres: the server accepted TLS; passing the rest of the connection through unchanged');
    session.raw = true;
    return goRaw(out, rest);
  }

  function malformed(problem: string): void {
    if (!session.warned) {
      session.warned = true;
      log.warning(`postgres: malformed ${direction} (${problem}); passing the rest of the connection through unchanged`);
    }
    session.raw = true;
  }

  return {
    push(chunk) {
      const out: Message[] = [];
      // The other direction switched the connection to raw since the last chunk.
      if (!raw && session.raw) goRaw(out, reader.rest());
      if (raw) {
        rawSlices(out, chunk);
        return out;
      }
      if (!started && chunk.length > 0) {
        started = true;
        if (direction === 'request' && chunk[0] === TLS_HANDSHAKE_RECORD) {
          log.info('postgres: the client starts with TLS; passing the connection through unchanged');
          session.raw = true;
          return goRaw(out, [chunk]);
        }
      }
      reader.feed(chunk);
      for (let piece = reader.next(); piece !== undefined; piece = reader.next()) {
        if (typeof piece === 'string') {
          malformed(piece);
          return goRaw(out, reader.rest());
        }
        const message = side.message(piece);
        if (typeof message === 'string') {
          malformed(message);
          return goRaw(out, [piece.bytes, ...reader.rest()]);
        }
        out.push(message);
        if (session.tls === 'accepted') return switchToTls(out, message);
        // This message (a GSS answer, a CancelRequest) switched the connection to raw.
        if (session.raw) return goRaw(out, reader.rest());
      }
      return out;
    },
    end() {
      const out: Message[] = [];
      if (raw) return out;
      if (session.raw) return goRaw(out, reader.rest());
      const piece = reader.finish();
      if (piece === undefined) return out;
      const message = side.message(piece);
      if (typeof message === 'string') rawSlices(out, piece.bytes);
      else out.push(message);
      return out;
    },
  };
}
