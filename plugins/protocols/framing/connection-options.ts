// The options every Vaurien protocol has: `buffer` (read size), `keep_alive`, `reuse_socket`.
import type { OptionTable } from '../../../lib/contract/options.js';

export type ConnectionOptions = { buffer: number; keep_alive: boolean; reuse_socket: boolean };

export const connectionOptions: OptionTable<ConnectionOptions> = {
  buffer: { type: 'int', default: 2048, description: 'Buffer size', min: 1, max: 64 * 1024 * 1024 },
  keep_alive: { type: 'bool', default: false, description: 'Keep the connection alive' },
  reuse_socket: { type: 'bool', default: false, description: 'If True, the socket is reused.' },
};
