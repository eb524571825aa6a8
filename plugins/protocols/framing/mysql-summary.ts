// The fault log's summary of a MySQL request: the command's name, and for a query or a statement
// to prepare the first 100 characters of its SQL (read from the packet: 4 header bytes, the
// command byte, then the text). Login packets are named, never quoted (they carry credentials).
import type { Message } from '../../../lib/contract/message.js';
import { clip, QUERY_MAX } from '../../../lib/faults/request-summary.js';

const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const TEXT_AT = 5;

export function mysqlSummary(request: Message): string {
  const command = String(request.info?.['command'] ?? 'packet');
  const { bytes } = request;
  const code = bytes[4];
  if (bytes.length <= TEXT_AT || (code !== COM_QUERY && code !== COM_STMT_PREPARE) || !command.startsWith('COM_')) return command;
  // Four bytes per character at most: enough for 100 characters of any UTF-8 text.
  const text = bytes.subarray(TEXT_AT, TEXT_AT + QUERY_MAX * 4).toString('utf8');
  return `${command} ${clip(text, QUERY_MAX)}`;
}
