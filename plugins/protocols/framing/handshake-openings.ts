// How framers open the exchanges of a connection's handshake (a greeting, a login, a start-up):
// marked so the engine draws them no behavior unless the protocol's `handshake` option is true.
// Frozen and shared: opening an exchange allocates nothing.
import type { ExchangeOpening } from '../../../lib/contract/protocol.js';

/** A client's handshake request (a login packet, an authentication answer, a start-up). */
export const HANDSHAKE: ExchangeOpening = Object.freeze({ handshake: true });

/** A server's greeting: it speaks first, and it is part of the handshake. */
export const HANDSHAKE_GREETING: ExchangeOpening = Object.freeze({ opener: 'response', handshake: true });
