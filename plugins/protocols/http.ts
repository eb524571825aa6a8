// PLACEHOLDER: being written; replaced by the real http framer.
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, type ConnectionOptions } from './framing/connection-options.js';

export const http = defineProtocol<ConnectionOptions>({
  name: 'http',
  description: 'http protocol (not implemented yet)',
  options: connectionOptions,
  pairing: 'ordered',
  createFramer() {
    throw new Error('the http protocol is not implemented yet');
  },
  errorReply: () => ({ bytes: Buffer.alloc(0), close: true }),
});
