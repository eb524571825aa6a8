// PLACEHOLDER: being written; replaced by the real smtp framer.
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';

export const smtp = defineProtocol<ConnectionOptions>({
  name: 'smtp',
  description: 'smtp protocol (not implemented yet)',
  options: connectionOptions,
  pairing: 'ordered',
  createFramer() {
    throw new Error('the smtp protocol is not implemented yet');
  },
  errorReply: () => ({ bytes: Buffer.alloc(0), close: true }),
});
