// PostgreSQL wire protocol v3: a message is one protocol message (a big one streams as pieces of
// at most `buffer` bytes). The start-up and authentication are handshake exchanges; a simple
// query, a FunctionCall, or extended-protocol messages up to their Sync are one exchange,
// answered up to its ReadyForQuery (pipelined ones in order); COPY data belongs to its query.
// An `S` to an SSLRequest is terminated when vaurien has TLS on both sides; TLS otherwise, GSS
// encryption and CancelRequest connections pass through raw. `error` answers an ErrorResponse
// and a ReadyForQuery with the session's real transaction status.
import type { OptionTable } from '../../lib/contract/options.js';
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, handshakeOption } from './framing/connection-options.js';
import { DEFAULT_SQLSTATE, INJECTED_ERROR_MESSAGE, corruptMessage, errorResponse, readyForQuery } from './framing/postgres-error-response.js';
import { createPostgresFramer } from './framing/postgres-framer.js';
import { createPostgresRequestSide } from './framing/postgres-request-side.js';
import { createPostgresResponseSide } from './framing/postgres-response-side.js';
import { HANDSHAKE_COMMANDS, newPostgresSession } from './framing/postgres-session.js';
import { postgresSummary } from './framing/postgres-summary.js';

export type PostgresOptions = { buffer: number; handshake: boolean; sqlstate: string };

// No keep_alive or reuse_socket: Vaurien never had this protocol, and a PostgreSQL session (its
// login, its transaction, its prepared statements) belongs to one client, so a backend
// connection must never be handed to another (the engine would pool it with reuse_socket).
const postgresOptions: OptionTable<PostgresOptions> = {
  buffer: { ...connectionOptions.buffer, description: 'Buffer size: the most bytes one message carries (a bigger one streams as several)' },
  handshake: { ...handshakeOption, description: 'Give behaviors the start-up and authentication too; by default they always pass' },
  sqlstate: { type: 'string', default: DEFAULT_SQLSTATE, description: 'SQLSTATE of the injected ErrorResponse (five characters, e.g. 40001)' },
};

const NO_ANSWER = Buffer.alloc(0);
const UNAVAILABLE = errorResponse('FATAL', '08006', 'vaurien: backend unavailable');

export const postgres = defineProtocol<PostgresOptions>({
  name: 'postgres',
  description: 'PostgreSQL wire protocol v3: queries, extended protocol, COPY; errors are ErrorResponses the session survives',
  options: postgresOptions,
  pairing: 'ordered',
  switchesToTls: true,
  createFramers(options, context) {
    const session = newPostgresSession(options.sqlstate);
    return {
      request: createPostgresFramer('request', options.buffer, session, createPostgresRequestSide(context, session), context),
      response: createPostgresFramer('response', options.buffer, session, createPostgresResponseSide(context, session), context),
    };
  },
  errorReply(request) {
    // Terminate: the server never answers it; swallowing it is the error.
    if (request?.noReply === true) return { bytes: NO_ANSWER, close: false };
    const info = request?.info;
    const sqlstate = typeof info?.['sqlstate'] === 'string' ? info['sqlstate'] : DEFAULT_SQLSTATE;
    const command = info?.['command'];
    // A refused start-up or login ends the connection, as a server's does.
    if (typeof command !== 'string' || HANDSHAKE_COMMANDS.has(command)) return { bytes: errorResponse('FATAL', sqlstate, INJECTED_ERROR_MESSAGE), close: true };
    // An error inside a transaction block aborts it, as on a real server: the client is told `E`.
    const status = info?.['transaction'] === 'T' || info?.['transaction'] === 'E' ? 'E' : 'I';
    return { bytes: Buffer.concat([errorResponse('ERROR', sqlstate, INJECTED_ERROR_MESSAGE), readyForQuery(status)]), close: false };
  },
  corrupt: corruptMessage,
  unavailableReply: () => ({ bytes: UNAVAILABLE, close: true }),
  summary: postgresSummary,
});
