// The fault log as a file (appended to) or stdout (`-`): one JSON line per record, in the order
// records end; only whole lines are written, gathered over FLUSH_MS into one write (a write goes
// through libuv's thread pool: one per line cost 20 % of the proxy's rate). Opened at start-up.
import { createWriteStream, openSync } from 'node:fs';
import { UsageError } from '../cli/usage-error.js';
import { faultLine, type FaultListener } from './fault-record.js';

/** How long lines wait to be written together, and how many bytes make a write anyway. */
const FLUSH_MS = 20;
const FLUSH_BYTES = 64 * 1024;

export interface FaultLogFile {
  readonly listener: FaultListener;
  /** Writes what is pending, flushes and closes the file (stdout stays open). */
  close(): Promise<void>;
}

/** Opens `path` (`-`: `stdout`) for appending now; `where` names the flag or key in an error. */
export function openFaultLog(path: string, stdout: NodeJS.WritableStream = process.stdout, where = '--fault-log'): FaultLogFile {
  let target: NodeJS.WritableStream = stdout;
  let closeTarget = (): Promise<void> => Promise.resolve();
  if (path !== '-') {
    let fd: number;
    try {
      fd = openSync(path, 'a');
    } catch (error) {
      throw new UsageError(`${where} ${path}: cannot open it for writing (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const file = createWriteStream(path, { fd });
    file.on('error', (error) => process.stderr.write(`vaurien: cannot write the fault log ${path}: ${error.message}\n`));
    target = file;
    closeTarget = () => new Promise((resolve) => file.end(resolve));
  }
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const text = pending;
    pending = '';
    target.write(text);
  };
  return {
    listener: (record) => {
      pending += `${faultLine(record)}\n`;
      if (pending.length >= FLUSH_BYTES) flush();
      // Unref'd: a pending flush never keeps a stopping process alive (close() flushes).
      else timer ??= setTimeout(flush, FLUSH_MS).unref();
    },
    close: () => {
      flush();
      return closeTarget();
    },
  };
}
