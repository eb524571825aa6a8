// The fault log's watch over one exchange: summarises its request, watches its operators and the
// control calls of its behavior, and publishes one record once the exchange is over (both sides
// done; tcp: superseded by the next chunk; or the connection closed). Exactly one record each.
import type { ConnectionControl } from '../contract/behavior.js';
import type { Direction, Message } from '../contract/message.js';
import type { ExchangeWatch } from '../pipeline/exchange-watch.js';
import type { ExchangePick, MessageOperator } from '../pipeline/exchanges.js';
import { noCalls, watchControl } from './control-watch.js';
import type { FaultRecord } from './fault-record.js';
import { describeOutcome, type ControlCalls } from './outcome.js';
import { SideWatch } from './side-watch.js';

/** What a record needs besides what the exchange shows: set when the exchange opens. */
export interface RecorderSetting {
  readonly proxy: string;
  readonly connection: number;
  readonly client: string;
  readonly exchange: number;
  readonly pick: ExchangePick;
  readonly opener: Direction;
  /** The protocol's summary of a request's first message. */
  readonly summarize: (request: Message) => string;
  readonly publish: (record: FaultRecord) => void;
}

export class ExchangeRecorder implements ExchangeWatch {
  private readonly startedAt = performance.now();
  private readonly time = new Date().toISOString();
  private request: string;
  private readonly calls: ControlCalls = noCalls();
  private requestSide: SideWatch | undefined;
  private responseSide: SideWatch | undefined;
  private requestDone: boolean;
  private responseDone = false;
  private isSuperseded = false;
  private published = false;

  constructor(private readonly setting: RecorderSetting) {
    // A greeting (the server spoke first) has no request.
    this.requestDone = setting.opener === 'response';
    this.request = setting.opener === 'response' ? 'greeting' : '';
  }

  began(direction: Direction, first: Message): void {
    if (direction === 'request' && this.setting.opener === 'request') this.request = this.setting.summarize(first);
  }

  operator(direction: Direction, operator: MessageOperator): MessageOperator {
    const side = new SideWatch();
    if (direction === 'request') this.requestSide = side;
    else this.responseSide = side;
    return side.wrap(operator);
  }

  control(_direction: Direction, control: ConnectionControl): ConnectionControl {
    return watchControl(control, this.calls);
  }

  sideDone(direction: Direction): void {
    if (direction === 'request') this.requestDone = true;
    else this.responseDone = true;
    if (this.isSuperseded) this.publishIfOver();
  }

  superseded(): void {
    this.isSuperseded = true;
    this.publishIfOver();
  }

  over(): void {
    this.publish();
  }

  /** A superseded (tcp) exchange is over once its request side is and no answer is being held. */
  private publishIfOver(): void {
    if (this.requestDone && (this.responseDone || this.responseSide?.active !== true)) this.publish();
  }

  private publish(): void {
    if (this.published) return;
    this.published = true;
    const { setting } = this;
    const { behavior, toxic, options } = describePick(setting.pick);
    setting.publish({
      time: this.time,
      proxy: setting.proxy,
      connection: setting.connection,
      client: setting.client,
      exchange: setting.exchange,
      behavior,
      ...(toxic === undefined ? {} : { toxic }),
      options,
      request: this.request,
      outcome: describeOutcome(this.calls, [this.requestSide, this.responseSide]),
      durationMs: Math.round(performance.now() - this.startedAt),
    });
  }
}

/**
 * One behavior: its name and options; a chain (a server's toxics): names joined by `+`, options
 * per name. A labelled choice (a server's toxic) names its toxic too, joined the same way.
 */
function describePick(pick: ExchangePick): Pick<FaultRecord, 'behavior' | 'toxic' | 'options'> {
  const { label } = pick.choice;
  if (pick.then === undefined) return { behavior: pick.choice.definition.name, ...(label === undefined ? {} : { toxic: label }), options: pick.choice.options };
  const names: string[] = [];
  const labels: string[] = [];
  const options: Record<string, FaultRecord['options'][string]> = {};
  for (let at: ExchangePick | undefined = pick; at !== undefined; at = at.then) {
    names.push(at.choice.definition.name);
    labels.push(at.choice.label ?? at.choice.definition.name);
    options[at.choice.definition.name] = at.choice.options;
  }
  return { behavior: names.join('+'), ...(label === undefined ? {} : { toxic: labels.join('+') }), options };
}
