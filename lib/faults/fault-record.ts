// One line of the fault log (SPEC 13): what one exchange was given and what came of it, for the
// file, `GET /events` and in-process listeners alike. With the same seed and traffic, records are
// equal but for `time`, `client`'s port, `durationMs` and the measured ms of `delayed N ms`.
import type { OptionValue } from '../contract/options.js';

export interface FaultRecord {
  /** When the exchange was given its behavior (ISO 8601). */
  readonly time: string;
  /** The proxy's name: its listen address unless named otherwise. */
  readonly proxy: string;
  /** The connection's number (accept order; with --workers, see the README). */
  readonly connection: number;
  /** The client's address, `host:port`. */
  readonly client: string;
  /** The exchange's number on its connection (1, 2, 3…). */
  readonly exchange: number;
  /** The behavior given (several, in order, joined by `+`). */
  readonly behavior: string;
  /** A `vaurien server` proxy's toxic(s) that gave it, by name (joined by `+` as `behavior`). */
  readonly toxic?: string;
  /** Its options in force (per behavior name when several). */
  readonly options: Readonly<Record<string, OptionValue | Readonly<Record<string, OptionValue>>>>;
  /** A short summary of the request (`GET /users`, `SET`, `COM_QUERY SELECT 1`), `greeting`, or empty. */
  readonly request: string;
  /** What came of it: `passed`, `delayed 1000 ms`, `error reply`, `corrupted`, `dropped`, `aborted`, `closed`, `reset`, `hung`, `failed`, comma-separated when several. */
  readonly outcome: string;
  /** From the draw to the end of the exchange (tcp: the next client chunk, or the close), ms. */
  readonly durationMs: number;
}

/** Receives each fault record as its exchange ends. */
export type FaultListener = (record: FaultRecord) => void;

/** The record as one line of JSON, without the newline. */
export function faultLine(record: FaultRecord): string {
  return JSON.stringify(record);
}
