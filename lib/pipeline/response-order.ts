// Keeps answers in request order on `ordered` protocols. A slot is taken per exchange that
// will be answered: by the backend (its request was forwarded) or by the proxy (an error
// reply). Replies wait until the backend's answers to earlier exchanges have been written,
// so a pipelining client never gets its answers swapped. Slots live in a deque: a pipeline of
// 300 000 commands must not pay an array shift per answer.
import Denque from 'denque';

export interface BackendSlot {
  readonly exchange: number;
  readonly reply?: undefined;
}
interface ReplySlot {
  readonly exchange: number;
  readonly reply: Buffer;
  readonly close: boolean;
}
type Slot = BackendSlot | ReplySlot;

export interface ReplyTarget {
  /** Writes a reply to the client. */
  write(bytes: Buffer): void;
  /** Ends the connection after a reply that closes it. */
  closeAfterReply(): void;
}

/** Bytes of replies waiting for their turn before the client's reading is paused. */
const QUEUED_REPLIES_LIMIT = 1024 * 1024;

export class ResponseOrder {
  private readonly slots = new Denque<Slot>();
  private closed = false;
  /** Bytes of replies queued behind answers the backend has not given yet. */
  private queuedBytes = 0;
  private roomWaiters: Array<() => void> | undefined;

  constructor(private readonly target: ReplyTarget) {}

  /** Exchanges still waiting for their answer to be written. */
  get pending(): number {
    return this.slots.length;
  }

  /** A request went to the backend: its answer comes from there (the slot is the ledger's record of it). */
  expectBackend(request: BackendSlot): void {
    this.slots.push(request);
  }

  /** The proxy answers `exchange` itself. */
  reply(exchange: number, bytes: Buffer, close: boolean): void {
    const head = this.slots.peekFront();
    if (head !== undefined && head.exchange === exchange && head.reply === undefined) {
      // A response-side behavior replacing the backend's answer: it is this exchange's turn.
      this.send(bytes, close);
      return;
    }
    this.slots.push({ exchange, reply: bytes, close });
    this.queuedBytes += bytes.length;
    this.flushReplies();
  }

  /**
   * Undefined while the queued replies are few, else a promise that settles once they went out:
   * a backend that never answers cannot make the proxy queue replies without bound.
   */
  room(): Promise<void> | undefined {
    if (this.queuedBytes <= QUEUED_REPLIES_LIMIT || this.closed) return undefined;
    return new Promise((resolve) => (this.roomWaiters ??= []).push(resolve));
  }

  /** The backend's answer to `exchange` is about to be written: earlier replies go first. */
  beforeBackendWrite(exchange: number): void {
    const head = this.slots.peekFront();
    if (head !== undefined && head.exchange !== exchange) this.flushReplies();
  }

  /** The backend's answer to `exchange` is complete (or was dropped): the next turn begins. */
  backendDone(exchange: number): void {
    const head = this.slots.peekFront();
    if (head !== undefined && head.exchange === exchange && head.reply === undefined) {
      this.slots.shift();
    } else {
      // Not the head: replies for earlier exchanges are still queued (rare); search for it.
      const at = this.slots.toArray().findIndex((slot) => slot.exchange === exchange && slot.reply === undefined);
      if (at === -1) return;
      this.slots.removeOne(at);
    }
    this.flushReplies();
  }

  private flushReplies(): void {
    for (let head = this.slots.peekFront(); head !== undefined && head.reply !== undefined; head = this.slots.peekFront()) {
      this.slots.shift();
      this.queuedBytes -= head.reply.length;
      this.send(head.reply, head.close);
    }
    if (this.roomWaiters !== undefined && (this.queuedBytes <= QUEUED_REPLIES_LIMIT || this.closed)) {
      const waiters = this.roomWaiters;
      this.roomWaiters = undefined;
      for (const resolve of waiters) resolve();
    }
  }

  private send(bytes: Buffer, close: boolean): void {
    if (this.closed) return;
    this.target.write(bytes);
    if (close) {
      this.closed = true;
      this.slots.clear();
      this.queuedBytes = 0;
      this.target.closeAfterReply();
    }
  }
}
