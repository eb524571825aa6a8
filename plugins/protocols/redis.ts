// PLACEHOLDER: being written; replaced by the real redis framer.
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';

export const redis = defineProtocol<ConnectionOptions>({
  name: 'redis',
  description: 'redis protocol (not implemented yet)',
  options: connectionOptions,
  pairing: 'ordered',
  createFramer() {
    throw new Error('the redis protocol is not implemented yet');
  },
  errorReply: () => ({ bytes: Buffer.alloc(0), close: true }),
});
