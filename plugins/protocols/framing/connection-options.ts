// The options every Vaurien protocol has: `buffer` (read size), `keep_alive`, `reuse_socket`;
// and `handshake`, which protocols with a connection handshake (greeting, login) add.
import type { OptionSpec, OptionTable } from '../../../lib/contract/options.js';

export type ConnectionOptions = { buffer: number; keep_alive: boolean; reuse_socket: boolean };

export const connectionOptions: OptionTable<ConnectionOptions> = {
  buffer: { type: 'int', default: 2048, description: 'Buffer size', min: 1, max: 64 * 1024 * 1024 },
  keep_alive: { type: 'bool', default: false, description: 'Keep the connection alive' },
  reuse_socket: { type: 'bool', default: false, description: 'If True, the socket is reused.' },
};

/** Off by default: `100:error` then fails every query, not every login (see `openExchange({ handshake: true })`). */
export const handshakeOption: OptionSpec<boolean> = {
  type: 'bool',
  default: false,
  description: 'Give behaviors the connection handshake too (greeting, login); by default it always passes',
};
