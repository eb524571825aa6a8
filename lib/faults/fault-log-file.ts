// The fault log as a file (`--fault-log FILE`, appended to) or stdout (`-`): one JSON line per
// record, each written whole in one write, in the order records end. The file is opened at
// start-up (a bad path is a start-up error, exit 2); writes go through the stream's buffer, so a
// slow disk never holds a connection up.
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { UsageError } from '../cli/usage-error.js';
import { faultLine, type FaultListener } from './fault-record.js';

export interface FaultLogFile {
  readonly listener: FaultListener;
  /** Flushes what was written and closes the file (stdout stays open). */
  close(): Promise<void>;
}

/** Opens `path` (`-`: `stdout`) for appending now; `where` names the flag or key in an error. */
export function openFaultLog(path: string, stdout: NodeJS.WritableStream = process.stdout, where = '--fault-log'): FaultLogFile {
  if (path === '-') {
    return { listener: (record) => void stdout.write(`${faultLine(record)}\n`), close: () => Promise.resolve() };
  }
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw new UsageError(`${where} ${path}: cannot open it for writing (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const file: WriteStream = createWriteStream(path, { fd });
  file.on('error', (error) => process.stderr.write(`vaurien: cannot write the fault log ${path}: ${error.message}\n`));
  return {
    listener: (record) => void file.write(`${faultLine(record)}\n`),
    close: () => new Promise((resolve) => file.end(resolve)),
  };
}
