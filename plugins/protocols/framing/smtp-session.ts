// What the two SMTP framers of a connection tell each other (one session, made with both): the response
// framer records each completed reply before it lets that reply go; the request framer reads
// the reply to its newest request to know how the client's next bytes are meant to be read.
import type { MessageInfo } from '../../../lib/contract/message.js';

/** How the client's next bytes are read, decided by the reply to its newest request. */
export type ClientUnit = 'command' | 'body' | 'continuation' | 'tls';

/** The newest reply the backend completed, and what it answered. */
export interface RecordedReply {
  readonly exchange: number;
  readonly code: number;
  readonly command: string | undefined;
  /** The reply answers a DATA body, not the DATA command. */
  readonly body: boolean;
}

export interface SmtpSession {
  lastReply: RecordedReply | undefined;
  /** Malformed data was seen: both directions pass the rest through unframed. */
  raw: boolean;
  /** `secured` once vaurien terminated the TLS a 220 to STARTTLS started: the client's commands go on, decrypted. */
  tls: 'plain' | 'secured';
  /** One warning per connection, whichever side saw the malformed data. */
  warned: boolean;
}

export function newSmtpSession(): SmtpSession {
  return { lastReply: undefined, raw: false, tls: 'plain', warned: false };
}

/** Called by the response framer when a reply is complete, before the reply is yielded. */
export function recordReply(session: SmtpSession, exchange: number, code: number, info: MessageInfo | undefined): void {
  const command = info?.['command'];
  session.lastReply = { exchange, code, command: typeof command === 'string' ? command : undefined, body: info?.['body'] === true };
}

/**
 * How to read what the client sends after its newest request `latest`.
 *
 * Why this is safe although the framers run independently: a client may send a DATA body only
 * after the 354, TLS only after the 220 to STARTTLS, a SASL answer only after a 334 (RFC 5321,
 * 2920, 3207, 4954). That reply reaches the client only after the response framer yielded it,
 * and it records the reply before yielding. So when those bytes arrive the record is there.
 * No record for `latest` means its answer did not come from the backend (the proxy answered
 * with an error, or cut the connection): the client is back to sending commands.
 */
export function nextClientUnit(session: SmtpSession, latest: number): ClientUnit {
  const reply = session.lastReply;
  if (reply === undefined || reply.exchange !== latest || latest === 0) return 'command';
  if (reply.code === 354 && reply.command === 'DATA' && !reply.body) return 'body';
  // Terminated TLS: the client goes on with commands (its new EHLO), decrypted.
  if (reply.code === 220 && reply.command === 'STARTTLS') return session.tls === 'secured' ? 'command' : 'tls';
  if (reply.code === 334 && reply.command === 'AUTH') return 'continuation';
  return 'command';
}
