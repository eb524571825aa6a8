// One-line logging with Vaurien's levels, to stderr or --log-output. The file is opened when the
// logger is made (a bad path is a start-up error); past that nothing here throws, and control
// bytes in a message (a client's ESC, CR, LF) are written escaped: one message, one line.
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { UsageError } from './cli/usage-error.js';

export const LOG_LEVELS = ['critical', 'error', 'warning', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  critical(message: string): void;
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** True when `level` would be written: lets hot paths skip building a message. */
  enabled(level: LogLevel): boolean;
  close(): Promise<void>;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** `output` is a file path (appended to), or `-` for stderr; throws UsageError when it cannot be opened. */
export function createLogger(level: LogLevel = 'info', output = '-'): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const file: WriteStream | undefined = output === '-' ? undefined : createWriteStream(output, { fd: openLogFile(output) });
  file?.on('error', (error) => process.stderr.write(`vaurien: cannot write log file ${output}: ${error.message}\n`));
  const write = (at: LogLevel, message: string): void => {
    if (LOG_LEVELS.indexOf(at) > threshold) return;
    const line = `${new Date().toISOString()} [${at}] ${escapeControls(message)}\n`;
    if (file) file.write(line);
    else process.stderr.write(line);
  };
  return {
    critical: (message) => write('critical', message),
    error: (message) => write('error', message),
    warning: (message) => write('warning', message),
    info: (message) => write('info', message),
    debug: (message) => write('debug', message),
    enabled: (at) => LOG_LEVELS.indexOf(at) <= threshold,
    close: () => new Promise((resolve) => (file ? file.end(resolve) : resolve())),
  };
}

/** C0 controls but tab, DEL, C1 controls (0x9b starts a terminal command) and Unicode line breaks. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r' };

/**
 * `message` with its control characters written as `\n`, `\r`, `\x1b`, `\u2028`: values a client
 * sent (a behavior name, a malformed protocol line) can neither forge a log line nor drive the
 * terminal of whoever reads the log.
 */
export function escapeControls(message: string): string {
  if (!CONTROL.test(message)) return message;
  return message.replace(CONTROLS, (character) => {
    const code = character.charCodeAt(0);
    return SHORT_ESCAPES[character] ?? (code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });
}

/** Opens `path` for appending now, so a mistake is reported before anything starts. */
function openLogFile(path: string): number {
  try {
    return openSync(path, 'a');
  } catch (error) {
    throw new UsageError(`--log-output ${path}: cannot open it for writing (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A logger that drops everything: the default for in-process proxies in tests. */
export const silentLogger: Logger = {
  critical() {},
  error() {},
  warning() {},
  info() {},
  debug() {},
  enabled: () => false,
  close: () => Promise.resolve(),
};
