// The primary's side of a cluster: forks the workers (each told its slot, the seed and the live
// settings), knows which are listening, asks them things and gathers the answers, replaces a
// worker that dies, and stops them all. Connections are spread by node:cluster (round-robin from
// the primary on Linux unless NODE_CLUSTER_SCHED_POLICY=none).
import cluster, { type Worker } from 'node:cluster';
import type { StatsSnapshot } from '../control/stats.js';
import type { FaultFeed } from '../faults/fault-feed.js';
import type { Logger } from '../log.js';
import type { HostPort } from '../proxy/address.js';
import { isFromWorker, WORKER_ENV, type BehaviorChange, type FromWorker, type LiveSettings, type ToWorker, type WorkerStart } from './messages.js';

/** A worker exited before it listened; the primary exits with its status (it said why). */
export class WorkerStartFailure extends Error {
  constructor(readonly exitCode: number) {
    super(`a worker exited with status ${exitCode} before listening`);
  }
}

interface Member {
  readonly slot: number;
  readonly worker: Worker;
  /** Listening, and told every live change so far. */
  ready: boolean;
  /** How many live changes its start (or its messages since) carried. */
  version: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** Requests sent to it and not yet answered, by id: answered `undefined` if it exits. */
  readonly waiting: Map<number, (reply: Reply | undefined) => void>;
}

type Reply = Extract<FromWorker, { vaurien: 'reply' }>;

/** How long a worker has to answer a request before it is left out of the answer. */
const REPLY_TIMEOUT_MS = 5000;
/** Past the grace period, how long a stopping worker has before it is killed. */
const STOP_MARGIN_MS = 5000;

export class ClusterWorkers {
  private readonly members: Array<Member | undefined>;
  private live: LiveSettings = {};
  private version = 0;
  private stopping = false;
  private nextId = 1;

  constructor(
    readonly count: number,
    private readonly seed: number,
    private readonly log: Logger,
    /** Where the workers' fault records go; they send them only while it has listeners. */
    private readonly faults: FaultFeed,
  ) {
    this.members = new Array<Member | undefined>(count).fill(undefined);
    faults.whenListening((listening) => {
      for (const member of this.listening()) member.worker.send({ vaurien: 'faults', listening } satisfies ToWorker);
    });
  }

  /**
   * Starts the first worker alone (a start-up mistake such as a port in use is then reported
   * once, not once per worker), then the others; resolves with the address they listen on.
   */
  async start(): Promise<HostPort> {
    const address = await this.fork(0);
    await Promise.all(Array.from({ length: this.count - 1 }, (_, index) => this.fork(index + 1)));
    return address;
  }

  /** Sends a behavior change to every listening worker; resolves once all have applied it. */
  setBehavior(change: BehaviorChange): Promise<void> {
    this.live = { ...this.live, behavior: change };
    return this.broadcast((id) => ({ vaurien: 'behavior', id, change }));
  }

  setBackend(backend: HostPort): Promise<void> {
    this.live = { ...this.live, backend };
    return this.broadcast((id) => ({ vaurien: 'backend', id, backend }));
  }

  /** Every listening worker's counters (a worker that does not answer in time is left out). */
  async stats(): Promise<Array<{ pid: number; stats: StatsSnapshot }>> {
    const answers = await Promise.all(
      this.listening().map(async (member) => ({ pid: member.worker.process.pid ?? 0, reply: await this.request(member, (id) => ({ vaurien: 'stats', id })) })),
    );
    const parts: Array<{ pid: number; stats: StatsSnapshot }> = [];
    for (const { pid, reply } of answers) if (reply?.stats !== undefined) parts.push({ pid, stats: reply.stats });
    return parts;
  }

  /** Tells every worker to stop (open exchanges get `graceSeconds`) and waits until all exited. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    const members = this.members.filter((member): member is Member => member !== undefined);
    for (const member of members) this.tellStop(member, graceSeconds);
    const killer = setTimeout(() => {
      for (const member of members) if (!member.worker.isDead()) member.worker.process.kill('SIGKILL');
    }, graceSeconds * 1000 + STOP_MARGIN_MS);
    try {
      await Promise.all(members.map((member) => member.exited));
    } finally {
      clearTimeout(killer);
    }
  }

  /** A second signal: every worker closes what is open now. */
  stopNow(): void {
    this.stopping = true;
    for (const member of this.members) if (member !== undefined) this.tellStop(member, 0);
  }

  private tellStop(member: Member, graceSeconds: number): void {
    // A worker not yet listening has no message handler yet: a signal reaches it.
    if (member.ready && member.worker.isConnected()) member.worker.send({ vaurien: 'stop', graceSeconds } satisfies ToWorker);
    else if (!member.worker.isDead()) member.worker.process.kill('SIGTERM');
  }

  private listening(): Member[] {
    return this.members.filter((member): member is Member => member !== undefined && member.ready && member.worker.isConnected());
  }

  private async broadcast(message: (id: number) => ToWorker): Promise<void> {
    this.version++;
    const version = this.version;
    const replies = await Promise.all(
      this.listening().map(async (member) => {
        member.version = version;
        return { member, reply: await this.request(member, message) };
      }),
    );
    for (const { member, reply } of replies) {
      if (reply?.error !== undefined) throw new Error(`worker ${member.slot + 1} (pid ${member.worker.process.pid}): ${reply.error}`);
    }
  }

  private request(member: Member, message: (id: number) => ToWorker): Promise<Reply | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), REPLY_TIMEOUT_MS);
      const finish = (reply: Reply | undefined): void => {
        clearTimeout(timer);
        member.waiting.delete(id);
        resolve(reply);
      };
      member.waiting.set(id, finish);
      member.worker.send(message(id));
    });
  }

  /** Forks the worker of `slot` and resolves once it listens (rejects if it exits first). */
  private fork(slot: number): Promise<HostPort> {
    const start: WorkerStart = { slot, count: this.count, seed: this.seed, faults: this.faults.listening, ...this.live };
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(start) });
    const waiting = new Map<number, (reply: Reply | undefined) => void>();
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', () => {
        for (const finish of waiting.values()) finish(undefined);
        resolve();
      }),
    );
    // A send that meets a channel closing under it (the worker just died) is reported here, not
    // thrown: the exit handler below deals with the worker.
    worker.on('error', (error) => this.log.debug(`worker ${slot + 1}: ${error.message}`));
    const member: Member = { slot, worker, ready: false, version: this.version, exited, waiting };
    this.members[slot] = member;
    return new Promise((resolve, reject) => {
      worker.on('message', (message: unknown) => {
        if (!isFromWorker(message)) return;
        if (message.vaurien === 'reply') waiting.get(message.id)?.(message);
        else if (message.vaurien === 'faults') for (const record of message.records) this.faults.publish(record);
        else {
          this.catchUp(member);
          member.ready = true;
          resolve(message.address);
        }
      });
      worker.once('exit', (code, signal) => {
        if (this.members[slot] === member) this.members[slot] = undefined;
        if (!member.ready) reject(new WorkerStartFailure(code ?? 1));
        else if (!this.stopping) this.replace(member, code, signal);
      });
    });
  }

  /** A change made while the worker was starting reaches it now (its start carried an older one). */
  private catchUp(member: Member): void {
    member.worker.send({ vaurien: 'faults', listening: this.faults.listening } satisfies ToWorker);
    if (member.version === this.version) return;
    member.version = this.version;
    const { behavior, backend } = this.live;
    if (behavior !== undefined) void this.request(member, (id) => ({ vaurien: 'behavior', id, change: behavior }));
    if (backend !== undefined) void this.request(member, (id) => ({ vaurien: 'backend', id, backend }));
  }

  /** A worker died while serving: the connections it held are lost, its slot serves again. */
  private replace(member: Member, code: number | null, signal: string | null): void {
    const pid = member.worker.process.pid;
    this.log.error(`worker ${member.slot + 1} (pid ${pid}) ${signal !== null ? `was killed by ${signal}` : `exited with status ${code}`}; starting another`);
    this.fork(member.slot).catch((error: unknown) => {
      const why = error instanceof WorkerStartFailure ? `exited with status ${error.exitCode}` : String(error);
      this.log.error(`worker ${member.slot + 1} could not start again (${why}); ${this.listening().length} of ${this.count} serve`);
    });
  }
}
