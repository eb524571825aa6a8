// Finding a `vaurien --http` child's control API from its start-up line, and reading the raw
// answers it gives to raw requests (any bytes, any headers: a browser's, curl's, an attacker's).
import assert from 'node:assert/strict';

/** The control API's port, read from the start-up line ("…, control API on http://127.0.0.1:PORT"). */
export function bannerApiPort(banner: string): number {
  const match = /control API on http:\/\/(?:\[[^\]]+\]|[^:]+):(\d+)/.exec(banner);
  assert.ok(match !== null, `no control API in "${banner}"`);
  return Number(match[1]);
}

/** A raw HTTP answer: the status of the final answer (1xx interim answers kept apart), headers, body. */
export interface RawAnswer {
  readonly status: number;
  /** Statuses of `100 Continue` and other interim answers, in order. */
  readonly interim: readonly number[];
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Everything received, for assertion messages. */
  readonly raw: string;
}

/** Splits what a server sent on one connection (one answer, maybe after 1xx ones); undefined if it is not HTTP. */
export function parseRawAnswer(raw: string): RawAnswer | undefined {
  const interim: number[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3}) /.exec(`${statusLine} `);
    if (match === null) return undefined;
    const status = Number(match[1]);
    rest = rest.slice(end + 4);
    if (status >= 100 && status < 200) {
      interim.push(status);
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headers['content-length'];
    const body = length === undefined ? rest : rest.slice(0, Number(length));
    return { status, interim, headers, body, raw };
  }
}
