// PLACEHOLDER: being written; replaced by the real mysql framer.
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';

export const mysql = defineProtocol<ConnectionOptions>({
  name: 'mysql',
  description: 'mysql protocol (not implemented yet)',
  options: connectionOptions,
  pairing: 'ordered',
  createFramer() {
    throw new Error('the mysql protocol is not implemented yet');
  },
  errorReply: () => ({ bytes: Buffer.alloc(0), close: true }),
});
