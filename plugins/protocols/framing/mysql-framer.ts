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
  return new MysqlFramer(direction, pieceBytes, session, side, context);
}

/**
 * A class, not a closure: its generator methods are made once, shared by every connection. A
 * generator function made per connection got a prototype and a hidden class of its own when
 * first run (see test/framing/framer-per-connection.test.ts).
 */
class MysqlFramer implements Framer {
  private readonly reader: PacketReader;
  private raw = false;

  constructor(
    private readonly direction: Direction,
    private readonly pieceBytes: number,
    private readonly session: MysqlSession,
    private readonly side: PacketSide,
    private readonly context: FramerContext,
  ) {
    this.reader = new PacketReader(pieceBytes);
  }

  *push(chunk: Buffer): Generator<Message> {
    const { reader, session, side, direction } = this;
    if (!this.raw && session.raw) yield* this.goRaw(reader.held());
    if (this.raw) return yield* this.rawSlices(chunk);
    reader.feed(chunk);
    for (let piece = reader.next(); piece !== undefined; piece = reader.next()) {
      const message = side.message(piece);
      if (typeof message === 'string') {
        if (!session.raw) this.context.log.warning(`mysql: malformed ${direction} (${message}); passing the rest of the connection through unchanged`);
        session.raw = true;
        return yield* this.goRaw([piece.bytes, reader.unread()]);
      }
      if (session.tls === 'asked') return yield* this.switchToTls(message);
      yield message;
      // The other direction switched the connection to raw.
      if (session.raw) return yield* this.goRaw([reader.unread()]);
    }
  }

  *end(): Generator<Message> {
    if (this.raw) return;
    const piece = this.reader.finish();
    if (piece === undefined) return;
    const message = this.side.message(piece);
    if (typeof message === 'string') yield* this.rawSlices(piece.bytes);
    else yield message;
  }

  private *rawSlices(bytes: Buffer): Generator<Message> {
    const { pieceBytes, direction } = this;
    for (let start = 0; start < bytes.length; start += pieceBytes) {
      yield { bytes: bytes.subarray(start, start + pieceBytes), direction, exchange: 0, first: true, last: true };
    }
  }

  /** Stops framing: closes the half-framed exchange, then `rest` and everything after it goes raw. */
  private *goRaw(rest: readonly Buffer[]): Generator<Message> {
    this.raw = true;
    const open = this.side.openExchange();
    if (open !== undefined) yield { bytes: EMPTY, direction: this.direction, exchange: open, first: false, last: true };
    for (const part of rest) yield* this.rawSlices(part);
  }

  /**
   * The SSL request (`message`): what follows it is the client's TLS. Terminated, it goes to the
   * TLS layer and framing goes on over TLS with the HandshakeResponse; else the rest is raw.
   */
  private *switchToTls(message: Message): Generator<Message> {
    const rest = this.reader.unread();
    // Asked before the message leaves: the backend switches once it has been written.
    if (this.context.startTls?.({ direction: this.direction, exchange: message.exchange, rest: [rest] }) === true) {
      this.session.tls = 'secured';
      yield message;
      return;
    }
    this.context.log.debug('mysql: the client asked for TLS; passing the connection through unchanged');
    this.session.raw = true;
    yield message;
    yield* this.goRaw([rest]);
  }
}
