// A subscriber to `GET /events` (a proxy's control API or a `vaurien server`), reading with
// undici: the fault records it got so far, and how to leave before the test ends.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { SseParser } from '../../lib/events/sse-parser.js';
import type { FaultRecord } from '../../lib/faults/fault-record.js';

export interface FaultSubscriber {
  readonly status: number;
  /** Filled as records arrive. */
  readonly records: FaultRecord[];
  leave(): void;
}

export async function subscribeFaultRecords(t: TestContext, url: string, headers: Record<string, string> = {}): Promise<FaultSubscriber> {
  const answer = await request(url, { headers: { accept: 'text/event-stream', ...headers } });
  const records: FaultRecord[] = [];
  const leave = (): void => void answer.body.destroy();
  t.after(leave);
  if (answer.statusCode !== 200) {
    await answer.body.text();
    return { status: answer.statusCode, records, leave };
  }
  assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
  const parser = new SseParser();
  answer.body.setEncoding('utf8');
  answer.body.on('data', (chunk: string) => {
    for (const event of parser.push(chunk)) records.push(JSON.parse(event.data) as FaultRecord);
  });
  answer.body.on('error', () => {});
  return { status: 200, records, leave };
}
