// Server-Sent Events for any node:http server (the control API's /events; `vaurien server`'s too):
// bounded whatever readers do: one write per subscriber per event-loop turn, a subscriber over
// `maxBacklogBytes` behind is disconnected (Last-Event-ID then replays), `maxSubscribers` at most.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EventStreamOptions {
  /** Subscribers at once; one more is answered 503 (default 64). */
  readonly maxSubscribers?: number;
  /** Unsent bytes a subscriber may have queued before it is disconnected (default 256 KiB). */
  readonly maxBacklogBytes?: number;
  /** Events kept for a subscriber that reconnects with Last-Event-ID (default 1000). */
  readonly replay?: number;
  /** A comment line this often keeps idle connections open through proxies (default 25 s). */
  readonly keepAliveMs?: number;
  /** Headers every event stream answer carries (CORS). */
  readonly headers?: Readonly<Record<string, string>>;
}

interface Subscriber {
  readonly response: ServerResponse;
}

export class EventStream {
  private readonly subscribers = new Set<Subscriber>();
  private readonly maxSubscribers: number;
  private readonly maxBacklogBytes: number;
  private readonly replay: number;
  private readonly keepAliveMs: number;
  /** The last events, oldest first, as written (`id: N\ndata: …\n\n`). */
  private readonly recent: string[] = [];
  private nextId = 1;
  /** Events of this turn of the event loop, not yet written. */
  private pending = '';
  private scheduled = false;
  private keepAlive: NodeJS.Timeout | undefined;
  private onActive: ((active: boolean) => void) | undefined;
  /** Subscribers cut for falling behind, since the start (for tests and stats). */
  disconnectedSlow = 0;

  constructor(options: EventStreamOptions = {}) {
    this.maxSubscribers = options.maxSubscribers ?? 64;
    this.maxBacklogBytes = options.maxBacklogBytes ?? 256 * 1024;
    this.replay = options.replay ?? 1000;
    this.keepAliveMs = options.keepAliveMs ?? 25_000;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Told when the stream gets its first subscriber and loses its last: publish only in between. */
  whenActive(onActive: (active: boolean) => void): void {
    this.onActive = onActive;
  }

  /** One event whose data is `line` (one line: no CR or LF). */
  publish(line: string): void {
    const event = `id: ${this.nextId++}\ndata: ${line}\n\n`;
    this.recent.push(event);
    if (this.recent.length > this.replay) this.recent.shift();
    if (this.subscribers.size === 0) return;
    this.pending += event;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Takes `response` as a subscriber (its request passed the server's checks already); `initial`
   * is a first event for it alone (the state it starts from).
   */
  serve(request: IncomingMessage, response: ServerResponse, headers: Readonly<Record<string, string>> = {}, initial?: string): void {
    if (this.subscribers.size >= this.maxSubscribers) {
      const body = `${JSON.stringify({ status: 'error', errors: [{ location: 'url', name: 'events', description: `already ${this.maxSubscribers} event subscribers` }] })}\n`;
      response.writeHead(503, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '5', 'Content-Length': Buffer.byteLength(body) });
      response.end(body);
      return;
    }
    response.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    if (request.method === 'HEAD') return void response.end();
    // `retry`: a reconnecting EventSource waits 1 s. Then what it missed, if it says what it saw.
    response.write(`retry: 1000\n\n${initial === undefined ? '' : `data: ${initial}\n\n`}${this.missedSince(request.headers['last-event-id'])}`);
    response.socket?.setNoDelay(true);
    const subscriber: Subscriber = { response };
    this.subscribers.add(subscriber);
    if (this.subscribers.size === 1) {
      this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), this.keepAliveMs).unref();
      this.onActive?.(true);
    }
    response.once('close', () => this.remove(subscriber));
  }

  /** Ends every subscriber's stream (the server is closing). */
  close(): void {
    for (const subscriber of this.subscribers) subscriber.response.end();
  }

  private missedSince(lastEventId: string | string[] | undefined): string {
    const last = Number(Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
    if (!Number.isSafeInteger(last) || last <= 0 || this.recent.length === 0) return '';
    const oldest = this.nextId - this.recent.length;
    const from = Math.max(0, last + 1 - oldest);
    return this.recent.slice(from).join('');
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = '';
    if (batch !== '') this.write(batch);
  }

  private write(text: string): void {
    // Encoded once for every subscriber: a string written to each would be encoded each time.
    const bytes = Buffer.from(text);
    for (const subscriber of this.subscribers) {
      const { response } = subscriber;
      // Behind by more than the limit: cut, never buffered without bound.
      if (response.writableLength + bytes.length > this.maxBacklogBytes) {
        this.disconnectedSlow++;
        this.remove(subscriber);
        response.destroy();
        continue;
      }
      response.write(bytes);
    }
  }

  private remove(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    if (this.subscribers.size === 0) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
      this.pending = '';
      this.onActive?.(false);
    }
  }
}
