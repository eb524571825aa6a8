// One direction of a MySQL connection: packets are cut into pieces (mysql-packets) and each
// piece becomes a message stamped by its side (request or response) with its exchange,
// `first` and `last`. After an SSL request whose TLS vaurien terminates, the bytes past it go
// to the TLS layer and framing goes on over the decrypted stream. Once the connection goes raw
// (TLS not terminated, compression, malformed data, on either side) every byte passes as
// exchange 0 from the next one on, and a half-framed exchange is closed with an empty message
// so nothing waits for it. Bytes are never changed, dropped or held back.
import type { Direction, Message } from '../../../lib/contract/message.js';
import type { Framer, FramerContext } from '../../../lib/contract/protocol.js';
import { PacketReader, type PacketPiece } from './mysql-packets.js';
import type { MysqlSession } from './mysql-session.js';

/** The protocol knowledge of one direction. */
export interface PacketSide {
  /** The message `piece` becomes, or (a string) why the stream makes no sense. */
  message(piece: PacketPiece): Message | string;
  /** The exchange whose side is half framed (its first message out, its last not), if any. */
  openExchange(): number | undefined;
}

const EMPTY = Buffer.alloc(0);

export function createMysqlFramer(direction: Direction, pieceBytes: number, session: MysqlSession, side: PacketSide, context: FramerContext): Framer {
  const { log } = context;
  const reader = new PacketReader(pieceBytes);
  let raw = false;

  function* rawSlices(bytes: Buffer): Generator<Message> {
    for (let start = 0; start < bytes.length; start += pieceBytes) {
      yield { bytes: bytes.subarray(start, start + pieceBytes), direction, exchange: 0, first: true, last: true };
    }
  }

  /** Stops framing: closes the half-framed exchange, then `rest` and everything after it goes raw. */
  function* goRaw(rest: readonly Buffer[]): Generator<Message> {
    raw = true;
    const open = side.openExchange();
    if (open !== undefined) yield { bytes: EMPTY, direction, exchange: open, first: false, last: true };
    for (const part of rest) yield* rawSlices(part);
  }

  /**
   * The SSL request (`message`): what follows it is the client's TLS. Terminated, it goes to the
   * TLS layer and framing goes on over TLS with the HandshakeResponse; else the rest is raw.
   */
  function* switchToTls(message: Message): Generator<Message> {
    const rest = reader.unread();
    // Asked before the message leaves: the backend switches once it has been written.
    if (context.startTls?.({ direction, exchange: message.exchange, rest: [rest] }) === true) {
      session.tls = 'secured';
      yield message;
      return;
    }
    log.debug('mysql: the client asked for TLS; passing the connection through unchanged');
    session.raw = true;
    yield message;
    yield* goRaw([rest]);
  }

  return {
    *push(chunk) {
      if (!raw && session.raw) yield* goRaw(reader.held());
      if (raw) return yield* rawSlices(chunk);
      reader.feed(chunk);
      for (let piece = reader.next(); piece !== undefined; piece = reader.next()) {
        const message = side.message(piece);
        if (typeof message === 'string') {
          if (!session.raw) log.warning(`mysql: malformed ${direction} (${message}); passing the rest of the connection through unchanged`);
          session.raw = true;
          return yield* goRaw([piece.bytes, reader.unread()]);
        }
        if (session.tls === 'asked') return yield* switchToTls(message);
        yield message;
        // The other direction switched the connection to raw.
        if (session.raw) return yield* goRaw([reader.unread()]);
      }
    },
    *end() {
      if (raw) return;
      const piece = reader.finish();
      if (piece === undefined) return;
      const message = side.message(piece);
      if (typeof message === 'string') yield* rawSlices(piece.bytes);
      else yield message;
    },
  };
}
