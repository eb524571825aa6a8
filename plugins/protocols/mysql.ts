// MySQL/MariaDB client-server protocol: a message is one packet (a big one streams as pieces
// of at most `buffer` bytes). The greeting is an exchange of its own; each login packet and
// each command is a request answered by the server's next answer, followed to its end through
// result sets, prepared statements and auth switches. The greeting and the login packets are
// the handshake: no behavior unless `handshake` is true. An SSL request's TLS is terminated
// when vaurien has TLS on both sides, else it turns the connection into raw passthrough, as
// compression does. `error` answers an ERR packet (1105, HY000) with the right sequence id.
import type { OptionTable } from '../../lib/contract/options.js';
import { defineProtocol } from '../../lib/contract/protocol.js';
import { connectionOptions, handshakeOption, type ConnectionOptions } from './framing/connection-options.js';
import { isLoginRequest } from './framing/mysql-commands.js';
import { INJECTED_ERROR_CODE, INJECTED_ERROR_MESSAGE, INJECTED_SQL_STATE, corruptPacket, errPacket } from './framing/mysql-error-packet.js';
import { createMysqlFramer } from './framing/mysql-framer.js';
import { createMysqlRequestSide } from './framing/mysql-request-side.js';
import { createMysqlResponseSide } from './framing/mysql-response-side.js';
import { mysqlSummary } from './framing/mysql-summary.js';
import { newMysqlSession } from './framing/mysql-session.js';

export type MysqlOptions = ConnectionOptions & { handshake: boolean };

// Vaurien's options, with what each means here. keep_alive and reuse_socket are accepted so
// existing command lines and config files keep working; a MySQL session (its login, its
// prepared statements) belongs to one client, so each client gets its own backend connection.
const mysqlOptions: OptionTable<MysqlOptions> = {
  ...connectionOptions,
  buffer: { ...connectionOptions.buffer, description: 'Buffer size: the most bytes one message carries (a bigger packet streams as several)' },
  keep_alive: { ...connectionOptions.keep_alive, description: 'Keep the connection alive (accepted for compatibility: MySQL connections are persistent)' },
  reuse_socket: {
    ...connectionOptions.reuse_socket,
    description: 'If True, the socket is reused (accepted for compatibility: a MySQL session belongs to its client connection)',
  },
  handshake: { ...handshakeOption, description: 'Give behaviors the greeting and the login packets (auth switches included) too; by default they always pass' },
};

const NO_ANSWER = Buffer.alloc(0);

export const mysql = defineProtocol<MysqlOptions>({
  name: 'mysql',
  description: 'MySQL/MariaDB: packets framed per command and answer (result sets, prepared statements, auth switch), errors are ERR packets',
  options: mysqlOptions,
  pairing: 'ordered',
  serverFirst: true,
  switchesToTls: true,
  createFramers(options, context) {
    const session = newMysqlSession();
    return {
      request: createMysqlFramer('request', options.buffer, session, createMysqlRequestSide(context, session), context),
      response: createMysqlFramer('response', options.buffer, session, createMysqlResponseSide(context, session), context),
    };
  },
  errorReply(request) {
    // No request: the greeting is replaced by a refusal, as a server that will not talk sends.
    if (request === undefined) return { bytes: errPacket(0, INJECTED_ERROR_CODE, undefined, INJECTED_ERROR_MESSAGE), close: true };
    const command = request.info?.['command'];
    // A command the server never answers (COM_STMT_CLOSE…): swallowing it is the error, an answer
    // would desync the client. (The SSL request gets no answer either, but failing it fails the login.)
    if (request.noReply === true && !isLoginRequest(command)) return { bytes: NO_ANSWER, close: false };
    const sent = request.info?.['sequence'];
    const sequence = typeof sent === 'number' ? sent + 1 : 1;
    // A failed login ends the connection, as a server's does.
    return { bytes: errPacket(sequence, INJECTED_ERROR_CODE, INJECTED_SQL_STATE, INJECTED_ERROR_MESSAGE), close: isLoginRequest(command) };
  },
  corrupt: corruptPacket,
  summary: mysqlSummary,
});
