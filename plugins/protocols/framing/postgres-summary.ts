// The fault log's summary of a PostgreSQL request: the message's name (`Query`, `Parse`…, from
// its type letter) and the first 100 characters of its SQL when the framer knew it. Start-up and
// password messages are named, never quoted (they carry credentials).
import type { Message } from '../../../lib/contract/message.js';
import { clip, QUERY_MAX } from '../../../lib/faults/request-summary.js';

const NAMES: Readonly<Record<string, string>> = {
  Q: 'Query',
  P: 'Parse',
  B: 'Bind',
  D: 'Describe',
  E: 'Execute',
  C: 'Close',
  H: 'Flush',
  S: 'Sync',
  F: 'FunctionCall',
  X: 'Terminate',
  d: 'CopyData',
  c: 'CopyDone',
  f: 'CopyFail',
  p: 'PasswordMessage',
};

export function postgresSummary(request: Message): string {
  const command = String(request.info?.['command'] ?? 'message');
  const name = NAMES[command] ?? command;
  const query = request.info?.['query'];
  return typeof query === 'string' ? `${name} ${clip(query, QUERY_MAX)}` : name;
}
