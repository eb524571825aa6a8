// The stream behaviors of one direction (Toxiproxy's toxics), in order: each subscribed once to
// everything the direction forwards, each feeding the next, the last feeding the writer. The
// list can change while bytes flow without losing or reordering any: a behavior taken out has its
// source completed and, until it has emitted what it held, what comes after it waits at a gate.
import type { Message } from '../contract/message.js';
import type { MessageOperator } from './exchanges.js';
import { OperatorRun } from './operator-run.js';

/** One stream behavior in force: `key` names it across changes, `version` tells a change of its options. */
export interface StreamEntry {
  readonly key: string;
  readonly version: unknown;
  /** Its operator on this direction (subscribed once). */
  readonly operator: MessageOperator;
  /** Told the run the operator was subscribed in (for `context.discard`). */
  attach(run: OperatorRun): void;
  /** Told it is taken out of force, before its source completes (`context.takenOut`). */
  takenOut?(): void;
}

/** Where a stack writes, and what it reports. */
export interface StreamSink {
  write(message: Message): void;
  /** Every stream behavior completed after the direction's end: the target may be ended. */
  streamEnded(): void;
  failed(error: unknown): void;
}

class RunNode {
  removed = false;
  /** Made when the node is taken out: what comes after it waits there until it has drained. */
  gate: Gate | undefined;
  run!: OperatorRun;
  constructor(
    readonly entry: StreamEntry,
    public next: Target,
  ) {}
}

class Gate {
  open = false;
  /** The direction ended while the gate was closed: the end follows the queue. */
  ending = false;
  readonly queue: Message[] = [];
  private waiters: Array<() => void> | undefined;
  constructor(public next: Target) {}

  whenOpen(): Promise<void> | undefined {
    if (this.open) return undefined;
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  opened(): void {
    this.open = true;
    const waiters = this.waiters;
    this.waiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve();
  }
}

/** The writer at the end of the stack. */
const END = Symbol('end');
type Target = RunNode | Gate | typeof END;
interface Holder {
  next: Target;
}

export class StreamStack {
  private readonly entry: Holder = { next: END };
  private live: RunNode[] = [];
  /** Taken out, still emitting what they held (straight to what followed them). */
  private readonly draining = new Set<RunNode>();
  private ended = false;
  private stopped = false;

  constructor(private readonly sink: StreamSink) {}

  /** True when nothing stands between the exchange stage and the writer. */
  get isEmpty(): boolean {
    return this.entry.next === END;
  }

  /** The stream behaviors in force, in order. */
  get entries(): readonly StreamEntry[] {
    return this.live.map((node) => node.entry);
  }

  /** Forwards `message` through the stack. */
  push(message: Message): void {
    this.deliver(this.entry.next, message);
  }

  /** Undefined when the stack can take more now, else a promise that settles when it may be tried again. */
  wait(): Promise<void> | undefined {
    for (let target = this.entry.next; target !== END; target = target.next) {
      const wait = target instanceof Gate ? (target.queue.length > 0 ? target.whenOpen() : undefined) : target.run.room();
      if (wait !== undefined) return wait;
    }
    return undefined;
  }

  /** True when nothing is held anywhere in the stack. */
  get isDrained(): boolean {
    for (let target = this.entry.next; target !== END; target = target.next) {
      if (target instanceof Gate ? !target.open : target.run.holding > 0) return false;
    }
    return true;
  }

  /** Undefined when nothing is held anywhere in the stack, else a promise that settles when that may have changed. */
  whenDrained(): Promise<void> | undefined {
    for (let target = this.entry.next; target !== END; target = target.next) {
      const wait = target instanceof Gate ? target.whenOpen() : target.run.room(0);
      if (wait !== undefined) return wait;
    }
    return undefined;
  }

  /** Puts `entries` in force: those gone are taken out, those new appended, those changed replaced in place. */
  set(entries: readonly StreamEntry[]): void {
    if (this.stopped) return;
    const wanted = new Map(entries.map((entry) => [entry.key, entry]));
    for (const node of [...this.live]) {
      const next = wanted.get(node.entry.key);
      if (next === undefined) this.remove(node);
      else if (next.version !== node.entry.version) this.replace(node, next);
    }
    const present = new Set(this.live.map((node) => node.entry.key));
    for (const entry of entries) if (!present.has(entry.key)) this.append(entry);
  }

  /** The direction's source ended: each behavior's source completes in turn, then the sink ends. */
  end(): void {
    if (this.ended || this.stopped) return;
    this.ended = true;
    this.endTarget(this.entry.next);
  }

  /** The connection closed: every behavior is unsubscribed. */
  stop(): void {
    this.stopped = true;
    for (const node of [...this.live, ...this.draining]) node.run.stop();
  }

  private deliver(target: Target, message: Message): void {
    if (target === END) this.sink.write(message);
    else if (target instanceof RunNode) target.run.feed(message);
    else if (target.open) this.deliver(target.next, message);
    else target.queue.push(message);
  }

  private endTarget(target: Target): void {
    if (this.stopped) return;
    if (target === END) this.sink.streamEnded();
    else if (target instanceof RunNode) target.run.end();
    else if (target.open) this.endTarget(target.next);
    else target.ending = true;
  }

  private subscribe(entry: StreamEntry, next: Target): RunNode {
    const node = new RunNode(entry, next);
    node.run = new OperatorRun(entry.operator, {
      emit: (message) => this.deliver(node.next, message),
      finished: (error) => this.finished(node, error),
    });
    entry.attach(node.run);
    return node;
  }

  private finished(node: RunNode, error: unknown): void {
    if (error !== undefined) return this.sink.failed(error);
    if (node.removed) {
      this.draining.delete(node);
      if (node.gate !== undefined) this.openGate(node.gate);
      return;
    }
    // Completed by the end of the direction, or on its own: what follows it ends too.
    this.live = this.live.filter((other) => other !== node);
    this.endTarget(node.next);
  }

  private append(entry: StreamEntry): void {
    const last = this.live.at(-1);
    const holder: Holder = last ?? this.entry;
    const node = this.subscribe(entry, holder.next);
    holder.next = node;
    this.live.push(node);
    if (this.ended) node.run.end();
  }

  private remove(node: RunNode): void {
    const holder = this.holderOf(node);
    node.removed = true;
    this.live = this.live.filter((other) => other !== node);
    const gate = new Gate(node.next);
    node.gate = gate;
    if (holder !== undefined) holder.next = gate;
    this.redirect(node, gate);
    this.draining.add(node);
    node.entry.takenOut?.();
    node.run.end();
    if (node.run.isFinished) this.finished(node, undefined);
  }

  /** Nodes still draining that emit into `from` emit into `to` instead (`from` takes nothing more). */
  private redirect(from: Target, to: Target): void {
    for (const node of this.draining) if (node.next === from) node.next = to;
  }

  private replace(node: RunNode, entry: StreamEntry): void {
    const at = this.live.indexOf(node);
    const holder = this.holderOf(node);
    this.remove(node);
    // The new one takes its place; what it emits waits behind what the old one still holds.
    const target: Holder = holder ?? this.entry;
    const fresh = this.subscribe(entry, target.next);
    target.next = fresh;
    this.redirect(node.gate ?? node, fresh);
    this.live.splice(at, 0, fresh);
    if (this.ended) fresh.run.end();
  }

  private openGate(gate: Gate): void {
    gate.opened();
    for (const message of gate.queue.splice(0)) this.deliver(gate.next, message);
    // The gate is no longer needed: whatever pointed at it points past it.
    const holder = this.holderOf(gate);
    if (holder !== undefined) holder.next = gate.next;
    if (gate.ending) this.endTarget(gate.next);
  }

  /** What points at `target` (the entry, a node or a gate). */
  private holderOf(target: RunNode | Gate): Holder | undefined {
    let holder: Holder = this.entry;
    for (let next = holder.next; next !== END; holder = next, next = next.next) if (next === target) return holder;
    return undefined;
  }
}
