// The fault log's watch over a stream behavior (a Toxiproxy toxic) on one connection. It acts on
// a direction, not an exchange: each direction it acts on gets one record (exchange 0), published
// when it leaves force there (the connection closed, or the toxic was changed or removed).
import { identity } from 'rxjs';
import type { BehaviorDefinition } from '../contract/behavior.js';
import { noCalls, watchControl } from './control-watch.js';
import type { FaultRecord } from './fault-record.js';
import { describeStreamOutcome } from './outcome.js';
import { StreamWatch } from './stream-watch.js';

/** What a stream record says besides what the behavior shows: set when it is put in force on a connection. */
export interface StreamRecordSetting {
  readonly proxy: string;
  readonly connection: number;
  readonly client: string;
  /** What gave it (a server's toxic name), as the record's `toxic`. */
  readonly label?: string;
  readonly publish: (record: FaultRecord) => void;
}

/**
 * `definition` as it acts on one connection, watched: an operator it makes (never `identity`,
 * which stays as it is and costs nothing) publishes one record when it is unsubscribed.
 */
export function recordedStreamBehavior(definition: BehaviorDefinition, setting: StreamRecordSetting): BehaviorDefinition {
  return {
    ...definition,
    operator(context) {
      const calls = noCalls();
      const operator = definition.operator({ ...context, connection: watchControl(context.connection, calls) });
      if (operator === identity) return identity;
      const watch = new StreamWatch();
      const time = new Date().toISOString();
      let published = false;
      return watch.wrap(operator, () => {
        if (published) return;
        published = true;
        setting.publish({
          time,
          proxy: setting.proxy,
          connection: setting.connection,
          client: setting.client,
          exchange: 0,
          behavior: definition.name,
          ...(setting.label === undefined ? {} : { toxic: setting.label }),
          options: context.options,
          request: `${context.direction === 'request' ? 'upstream' : 'downstream'} ${watch.bytesIn} bytes`,
          outcome: describeStreamOutcome(calls, watch),
          durationMs: Math.round(performance.now() - watch.startedAt),
        });
      });
    },
  };
}
