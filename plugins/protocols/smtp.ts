// SMTP (RFC 5321 with PIPELINING, CHUNKING, AUTH, STARTTLS): the greeting, each command, each
// DATA body, each BDAT chunk and each SASL answer is an exchange, answered in order. The
// session's set-up (greeting, EHLO/HELO/LHLO, STARTTLS, AUTH) is the handshake: no behavior
// unless `handshake` is true. STARTTLS is terminated when vaurien has TLS on both sides (else
// the rest passes raw). Errors are real SMTP replies (451, or a 421 greeting); `inject` puts
// random bytes inside a reply line.
import type { Message } from '../../lib/contract/message.js';
import { defineProtocol } from '../../lib/contract/protocol.js';
import type { Rng } from '../../lib/rng.js';
import { connectionOptions, handshakeOption } from './framing/connection-options.js';
import { createSmtpRequestFramer } from './framing/smtp-request-framer.js';
import { createSmtpResponseFramer } from './framing/smtp-response-framer.js';
import { newSmtpSession } from './framing/smtp-session.js';

/** Vaurien's smtp options: no keep_alive (SMTP sessions are long-lived by nature); `handshake`. */
export type SmtpOptions = { buffer: number; reuse_socket: boolean; handshake: boolean };

const ERROR_REPLY = Buffer.from('451 4.3.0 vaurien injected error\r\n');
const GREETING_ERROR = Buffer.from('421 4.3.0 vaurien injected error, closing connection\r\n');
const UNAVAILABLE = Buffer.from('421 4.3.0 vaurien: backend unavailable, closing connection\r\n');
/** Random bytes `inject` puts in the middle of a reply (as Vaurien did). */
const INJECTED_BYTES = 100;
/** `NNN ` stays whole, so the client still reads a reply (with a garbled text). */
const CODE_BYTES = 4;
const CR = 0x0d;
const LF = 0x0a;

/** Random bytes without CR or LF: the reply keeps its lines, so the client does not lose count. */
function lineSafeBytes(rng: Rng, length: number): Buffer {
  const bytes = rng.bytes(length);
  for (let at = 0; at < bytes.length; at++) if (bytes[at] === CR || bytes[at] === LF) bytes[at] = (bytes[at] as number) ^ 0x40;
  return bytes;
}

export const smtp = defineProtocol<SmtpOptions>({
  name: 'smtp',
  description: 'SMTP Protocol.',
  // `buffer` is Vaurien's read size, kept for compatibility: messages follow the socket's chunks.
  options: {
    buffer: connectionOptions.buffer,
    reuse_socket: connectionOptions.reuse_socket,
    handshake: { ...handshakeOption, description: 'Give behaviors the greeting, EHLO/HELO, STARTTLS and AUTH too; by default they always pass' },
  },
  pairing: 'ordered',
  serverFirst: true,
  switchesToTls: true,
  createFramers(_options, context) {
    const session = newSmtpSession();
    return { request: createSmtpRequestFramer(context, session), response: createSmtpResponseFramer(context, session) };
  },
  errorReply(request) {
    if (request === undefined) return { bytes: GREETING_ERROR, close: true };
    // The proxy swallowed a DATA body or a SASL answer the server is still waiting for: going on
    // would feed the client's next commands to the server as body or answer, so the 451 ends it.
    const midTransfer = request.info?.['body'] === true || request.info?.['continuation'] === true;
    return { bytes: ERROR_REPLY, close: midTransfer };
  },
  corrupt(message, rng): Message {
    const { bytes } = message;
    let textEnd = bytes.length;
    while (textEnd > 0 && (bytes[textEnd - 1] === LF || bytes[textEnd - 1] === CR)) textEnd--;
    const at = Math.min(textEnd, Math.max(CODE_BYTES, textEnd >> 1));
    return { ...message, bytes: Buffer.concat([bytes.subarray(0, at), lineSafeBytes(rng, INJECTED_BYTES), bytes.subarray(at)]) };
  },
  unavailableReply: () => ({ bytes: UNAVAILABLE, close: true }),
  // The verb (`MAIL`, `RCPT`); a DATA body or an AUTH answer says so, without its contents.
  summary(request) {
    const info = request.info;
    if (info?.['body'] === true) return 'DATA body';
    if (info?.['continuation'] === true) return 'AUTH answer';
    return String(info?.['command'] ?? '');
  },
});
