// PLACEHOLDER: being written; replaced by the real memcache framer.
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';

export const memcache = defineProtocol<ConnectionOptions>({
  name: 'memcache',
  description: 'memcache protocol (not implemented yet)',
  options: connectionOptions,
  pairing: 'ordered',
  createFramer() {
    throw new Error('the memcache protocol is not implemented yet');
  },
  errorReply: () => ({ bytes: Buffer.alloc(0), close: true }),
});
