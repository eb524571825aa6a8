// The client → server side of MySQL. A request is one packet (with its continuation packets
// when the payload reaches 0xFFFFFF): the HandshakeResponse, each answer to an auth switch, or
// a command (sequence id 0). Its info says which (`command`) and carries `sequence`, the
// sequence id of its latest packet, which the server's answer (or an error reply) follows.
// An SSL request is a handshake request without an answer (the framer asks the engine to
// terminate its TLS, else the connection goes raw); agreed compression turns the connection raw;
// LOCAL INFILE contents pass outside any exchange, as part of the query that asked for them.
import type { Message } from '../../../lib/contract/message.js';
import type { FramerContext } from '../../../lib/contract/protocol.js';
import { AUTH_SWITCH_RESPONSE, HANDSHAKE_RESPONSE, LOCAL_INFILE_DATA, SSL_REQUEST, commandOf } from './mysql-commands.js';
import { HANDSHAKE } from './handshake-openings.js';
import type { PacketSide } from './mysql-framer.js';
import { HEADER_BYTES, MAX_PAYLOAD, type PacketPiece } from './mysql-packets.js';
import { CLIENT_COMPRESS, CLIENT_SSL, CLIENT_ZSTD_COMPRESSION, parseHandshakeResponse, type MysqlSession } from './mysql-session.js';

/** Request info; `sequence` moves on as continuation packets go by (an error reply answers the latest). */
type RequestInfo = { command: string; sequence: number };

/** The logical packet whose pieces are going by. */
interface Current {
  readonly exchange: number;
  readonly info: RequestInfo;
  readonly noReply: boolean;
  /** Its next piece opens the exchange. */
  opens: boolean;
  /** Its payload filled the packet: the next packet continues it. */
  continues: boolean;
  sequence: number;
}

export function createMysqlRequestSide(context: FramerContext, session: MysqlSession): PacketSide {
  let handshakeSeen = false;
  let current: Current | undefined;
  let open: number | undefined;

  function request(command: string, sequence: number, noReply = false): Current {
    return { exchange: context.openExchange(), info: { command, sequence }, noReply, opens: true, continues: false, sequence };
  }

  /** A login packet or an answer to an auth switch, wherever it comes (login, COM_CHANGE_USER): part of the handshake. */
  function login(command: string, sequence: number): Current {
    return { exchange: context.openExchange(HANDSHAKE), info: { command, sequence }, noReply: false, opens: true, continues: false, sequence };
  }

  function outside(command: string, sequence: number): Current {
    return { exchange: 0, info: { command, sequence }, noReply: false, opens: true, continues: false, sequence };
  }

  function classify(piece: PacketPiece): Current | string {
    const payload = piece.bytes.subarray(HEADER_BYTES);
    if (session.infile) {
      if (piece.length === 0) session.infile = false; // the empty packet that ends the file
      return outside(LOCAL_INFILE_DATA, piece.sequence);
    }
    if (!handshakeSeen) {
      const asked = parseHandshakeResponse(payload);
      if (typeof asked === 'string') return asked;
      const offered = session.greeted ? session.serverCapabilities : asked.capabilities;
      session.capabilities = (asked.capabilities & offered) >>> 0;
      session.extended = (asked.extended & (session.greeted ? session.serverExtended : asked.extended)) >>> 0;
      // The HandshakeResponse that follows over TLS says CLIENT_SSL too: only the first packet asks.
      if ((asked.capabilities & CLIENT_SSL) !== 0 && session.tls === 'plain') return sslRequest(piece.sequence);
      handshakeSeen = true;
      if ((session.capabilities & (CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION)) !== 0) return goRaw('compression was agreed', piece.sequence);
      return login(HANDSHAKE_RESPONSE, piece.sequence);
    }
    if (session.authContinues) {
      session.authContinues = false;
      return login(AUTH_SWITCH_RESPONSE, piece.sequence);
    }
    if (piece.sequence !== 0) return `command packet with sequence id ${piece.sequence}`;
    const code = payload[0];
    if (code === undefined) return 'empty command packet';
    const command = commandOf(code);
    if (command === undefined) return `unknown command 0x${code.toString(16).padStart(2, '0')}`;
    return request(command.name, 0, command.response === 'none');
  }

  /** The SSL request: no answer comes (the client's TLS handshake follows), and the HandshakeResponse is still to come. */
  function sslRequest(sequence: number): Current {
    session.tls = 'asked';
    return { exchange: context.openExchange(HANDSHAKE), info: { command: SSL_REQUEST, sequence }, noReply: true, opens: true, continues: false, sequence };
  }

  function goRaw(reason: string, sequence: number): Current {
    context.log.debug(`mysql: ${reason}; passing the connection through unchanged`);
    session.raw = true;
    return outside(HANDSHAKE_RESPONSE, sequence);
  }

  return {
    message(piece): Message | string {
      if (piece.start) {
        if (current?.continues === true) {
          if (piece.sequence !== ((current.sequence + 1) & 0xff)) return `packet ${piece.sequence} continuing packet ${current.sequence}`;
          current.opens = false;
        } else if (piece.truncated) {
          // The stream ended inside a packet never classified: its bytes go as they are.
          return { bytes: piece.bytes, direction: 'request', exchange: 0, first: true, last: true };
        } else {
          const next = classify(piece);
          if (typeof next === 'string') return next;
          current = next;
        }
        current.sequence = piece.sequence;
        current.info.sequence = piece.sequence;
        current.continues = piece.length === MAX_PAYLOAD && !piece.truncated;
      }
      const packet = current as Current; // a packet's first piece always comes first
      const first = piece.start && packet.opens;
      const last = piece.end && !piece.truncated && !packet.continues;
      if (packet.exchange !== 0) {
        if (first) open = packet.exchange;
        if (last) open = undefined;
      }
      const { bytes } = piece;
      return packet.noReply
        ? { bytes, direction: 'request', exchange: packet.exchange, first, last, info: packet.info, noReply: true }
        : { bytes, direction: 'request', exchange: packet.exchange, first, last, info: packet.info };
    },
    openExchange: () => open,
  };
}
