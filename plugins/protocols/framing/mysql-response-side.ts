// The server → client side of MySQL. The greeting (or a refusal) opens an exchange of its
// own, part of the handshake; every later answer belongs to the oldest forwarded request (`nextForwarded`), whose
// command says how the answer ends (mysql-answer). Sequence ids must follow the request's:
// a gap means the stream is not what we think, and the connection goes raw.
import type { Message } from '../../../lib/contract/message.js';
import type { FramerContext } from '../../../lib/contract/protocol.js';
import { HANDSHAKE_GREETING } from './handshake-openings.js';
import { startAnswer, stepAnswer, type Answer } from './mysql-answer.js';
import { responseShapeOf } from './mysql-commands.js';
import type { PacketSide } from './mysql-framer.js';
import { HEADER_BYTES, MAX_PAYLOAD, type PacketPiece } from './mysql-packets.js';
import { parseGreeting, type MysqlSession } from './mysql-session.js';

interface Answering extends Answer {
  readonly exchange: number;
  /** The sequence id the next packet must carry; undefined: not checked (after a LOCAL INFILE). */
  expected: number | undefined;
}

/** The logical packet whose pieces are going by. */
interface Current {
  readonly exchange: number;
  opens: boolean;
  /** Ends its answer. */
  readonly closes: boolean;
  continues: boolean;
  sequence: number;
}

const ERR = 0xff;

export function createMysqlResponseSide(context: FramerContext, session: MysqlSession): PacketSide {
  let answering: Answering | undefined;
  let current: Current | undefined;
  let open: number | undefined;

  function packet(exchange: number, opens: boolean, closes: boolean, sequence: number): Current {
    return { exchange, opens, closes, continues: false, sequence };
  }

  function greeting(payload: Buffer, sequence: number): Current | string {
    session.greeted = true;
    if (sequence !== 0) return `greeting with sequence id ${sequence}`;
    // An ERR instead of a greeting: the server refuses the connection (too many, host blocked).
    if (payload[0] !== ERR) {
      const offer = parseGreeting(payload);
      if (typeof offer === 'string') return offer;
      session.serverCapabilities = offer.capabilities;
      session.serverExtended = offer.extended;
    }
    return packet(context.openExchange(HANDSHAKE_GREETING), true, true, sequence);
  }

  function classify(piece: PacketPiece): Current | string {
    if (!session.greeted) return greeting(piece.bytes.subarray(HEADER_BYTES), piece.sequence);
    let opens = false;
    if (answering === undefined) {
      const forwarded = context.nextForwarded();
      // Nothing asked: a notice before the server closes (shutdown, killed connection).
      if (forwarded === undefined) return packet(0, true, true, piece.sequence);
      const shape = responseShapeOf(forwarded.info?.['command']);
      if (shape === undefined || shape === 'none') return `an answer to ${String(forwarded.info?.['command'] ?? 'an unknown request')}`;
      const sent = forwarded.info?.['sequence'];
      answering = { ...startAnswer(shape), exchange: forwarded.exchange, expected: typeof sent === 'number' ? (sent + 1) & 0xff : undefined };
      opens = true;
    }
    if (answering.expected !== undefined && piece.sequence !== answering.expected) {
      return `packet sequence id ${piece.sequence} where ${answering.expected} was expected`;
    }
    answering.expected = (piece.sequence + 1) & 0xff;
    const infileBefore = session.infile;
    const step = stepAnswer(answering, piece.bytes, piece.length, session);
    if (step !== 'more' && step !== 'end') return step;
    // The file's packets take the next sequence ids: the server's answer to it is not checked.
    if (session.infile && !infileBefore) answering.expected = undefined;
    const { exchange } = answering;
    if (step === 'end') answering = undefined;
    return packet(exchange, opens, step === 'end', piece.sequence);
  }

  return {
    message(piece): Message | string {
      if (piece.start) {
        if (current?.continues === true) {
          if (piece.sequence !== ((current.sequence + 1) & 0xff)) return `packet ${piece.sequence} continuing packet ${current.sequence}`;
          current.opens = false;
          if (answering !== undefined) answering.expected = (piece.sequence + 1) & 0xff;
        } else if (piece.truncated) {
          // The stream ended inside a packet never classified: it goes as it is, with its answer.
          return { bytes: piece.bytes, direction: 'response', exchange: answering?.exchange ?? 0, first: false, last: false };
        } else {
          const next = classify(piece);
          if (typeof next === 'string') return next;
          current = next;
        }
        current.sequence = piece.sequence;
        current.continues = piece.length === MAX_PAYLOAD && !piece.truncated;
      }
      const packet = current as Current; // a packet's first piece always comes first
      const first = piece.start && packet.opens;
      const last = piece.end && !piece.truncated && !packet.continues && packet.closes;
      if (packet.exchange !== 0) {
        if (first) open = packet.exchange;
        if (last) open = undefined;
      }
      return { bytes: piece.bytes, direction: 'response', exchange: packet.exchange, first, last };
    },
    openExchange: () => open,
  };
}
