// A Logger that keeps its lines in memory, so tests can check what was logged (once per failed
// connection, never a secret) without a file or a child process.
import type { Logger, LogLevel } from '../../lib/log.js';

export interface RecordedLogger extends Logger {
  /** Every line so far, as `[level] message`. */
  readonly lines: string[];
}

export function recordingLogger(level: LogLevel = 'debug'): RecordedLogger {
  const order: readonly LogLevel[] = ['critical', 'error', 'warning', 'info', 'debug'];
  const threshold = order.indexOf(level);
  const lines: string[] = [];
  const write = (at: LogLevel) => (message: string) => {
    if (order.indexOf(at) <= threshold) lines.push(`[${at}] ${message}`);
  };
  return {
    lines,
    critical: write('critical'),
    error: write('error'),
    warning: write('warning'),
    info: write('info'),
    debug: write('debug'),
    enabled: (at) => order.indexOf(at) <= threshold,
    close: () => Promise.resolve(),
  };
}
