// A client of the control API (SPEC section 7), for tests and tools: every endpoint as a method,
// and `withBehavior`, which puts back the exact behavior (and options) in force before it, even
// when the wrapped code throws. Uses Node's global fetch (undici).
import type { OptionValues } from '../contract/options.js';
import { SseParser } from '../events/sse-parser.js';
import type { FaultRecord } from '../faults/fault-record.js';
import type { StatsSnapshot } from './stats.js';
import type { FieldError } from './api-errors.js';

export interface ClientOptions {
  /** Default `localhost`. */
  readonly host?: string;
  /** Default 8080. */
  readonly port?: number;
  /** Bearer token, when the proxy runs with --http-token; default `VAURIEN_HTTP_TOKEN` if set. */
  readonly token?: string;
  /** Per-request timeout in milliseconds; default 10000. */
  readonly timeoutMs?: number;
}

/** The behavior in force: `{ behavior: "20:delay,10:error", options: { delay: { sleep: 2, before: true }, … } }`. */
export interface BehaviorState {
  readonly behavior: string;
  readonly options: Readonly<Record<string, OptionValues>>;
  /** Set with a duration: the seconds left, then what comes back. */
  readonly remaining?: number;
  readonly restores?: { readonly behavior: string; readonly options: Readonly<Record<string, OptionValues>> };
}

/** How a change is made: `duration` (seconds) puts the previous setting back by itself when it runs out. */
export interface ChangeSettings {
  readonly duration?: number;
}

/** Option values as a client gives them: checked and converted by the server. */
export type ClientOptionValues = Readonly<Record<string, unknown>>;

/** A behavior's description from `GET /behaviors?details`. */
export interface BehaviorDescription {
  readonly name: string;
  readonly description: string;
  readonly options: Readonly<
    Record<string, { readonly type: string; readonly default: unknown; readonly description: string; readonly min?: number; readonly max?: number }>
  >;
}

/** The server refused a request (4xx/5xx); `errors` are the API's field errors. */
export class ControlApiError extends Error {
  override readonly name = 'ControlApiError';
  constructor(
    readonly status: number,
    readonly errors: readonly FieldError[],
  ) {
    super(errors.length > 0 ? errors.map((error) => error.description).join('; ') : `HTTP ${status}`);
  }
}

/** The server could not be reached (refused, timed out, DNS…). */
export class ControlApiUnreachableError extends Error {
  override readonly name = 'ControlApiUnreachableError';
}

/**
 * @example
 * const client = new Client();                    // localhost:8080
 * await client.setBehavior('delay', { sleep: 2 });
 * await client.withBehavior('error', { inject: true }, async () => { ... });
 */
export class Client {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions = {}) {
    const host = options.host ?? 'localhost';
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${options.port ?? 8080}`;
    const token = options.token ?? process.env['VAURIEN_HTTP_TOKEN'];
    this.token = token === '' ? undefined : token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The behavior spec in force, as users write it: `dummy`, `delay`, `20:delay,10:error`. */
  async getBehavior(): Promise<string> {
    return (await this.getBehaviorState()).behavior;
  }

  /** The behavior spec in force and the options of each of its behaviors. */
  async getBehaviorState(): Promise<BehaviorState> {
    const state = (await this.request('GET', '/behavior')) as Partial<BehaviorState>;
    const timed = typeof state.remaining === 'number' && state.restores !== undefined ? { remaining: state.remaining, restores: state.restores } : {};
    return { behavior: String(state.behavior), options: state.options ?? {}, ...timed };
  }

  /**
   * Sets the behavior of new exchanges. One behavior takes its options flat (`setBehavior('delay',
   * { sleep: 2 })`) or under its name; a weighted set takes them per behavior
   * (`setBehavior('20:delay,10:error', { delay: { sleep: 2 } })`): the shape `PUT /behavior` and
   * `proxy.setBehavior` take. Options not given keep the values the proxy was started with.
   * With `{ duration }` (seconds) the previous setting comes back by itself when it runs out.
   * @example await client.setBehavior('blackout', {}, { duration: 10 });
   */
  async setBehavior(spec: string, options: ClientOptionValues | Readonly<Record<string, ClientOptionValues>> = {}, settings: ChangeSettings = {}): Promise<void> {
    await this.request('PUT', '/behavior', {
      behavior: spec,
      ...(Object.keys(options).length === 0 ? {} : { options }),
      ...(settings.duration === undefined ? {} : { duration: settings.duration }),
    });
  }

  /** Registered behavior names, sorted (plugins included). */
  async listBehaviors(): Promise<string[]> {
    return ((await this.request('GET', '/behaviors')) as { behaviors: string[] }).behaviors;
  }

  /** Every behavior with its description and typed options. */
  async describeBehaviors(): Promise<BehaviorDescription[]> {
    return ((await this.request('GET', '/behaviors?details=true')) as { behaviors: BehaviorDescription[] }).behaviors;
  }

  /** `host:port` new connections are forwarded to. */
  async getBackend(): Promise<string> {
    return ((await this.request('GET', '/backend')) as { backend: string }).backend;
  }

  /** Moves the backend for new connections (`host:port`). */
  async setBackend(backend: string): Promise<void> {
    await this.request('PUT', '/backend', { backend });
  }

  async stats(): Promise<StatsSnapshot> {
    return (await this.request('GET', '/stats')) as StatsSnapshot;
  }

  /** The counters in Prometheus text format. */
  async metrics(): Promise<string> {
    return (await this.request('GET', '/metrics', undefined, 'text')) as string;
  }

  /**
   * The fault records as the proxy makes them (`GET /events`), until `signal` aborts (the
   * iteration then ends quietly) or the proxy ends the stream. Records of exchanges that end
   * after the subscription.
   * @example for await (const record of client.events({ signal })) console.log(record.outcome);
   */
  async *events(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<FaultRecord> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.token !== undefined) headers['Authorization'] = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/events`, { headers, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
    } catch (error) {
      if (options.signal?.aborted === true) return;
      throw new ControlApiUnreachableError(`cannot reach the control API at ${this.baseUrl}: ${causeOf(error)}`);
    }
    if (!response.ok || response.body === null) {
      const text = await response.text();
      throw new ControlApiError(response.status, errorsOf(text, response.status));
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        for (const event of parser.push(decoder.decode(chunk, { stream: true }))) yield JSON.parse(event.data) as FaultRecord;
      }
    } catch (error) {
      if (options.signal?.aborted !== true) throw error;
    }
  }

  /**
   * Runs `fn` with `spec` in force, then restores the behavior and options that were in force
   * before, whether `fn` resolved or threw. Resolves with what `fn` resolved with.
   */
  async withBehavior<T>(spec: string, fn: () => T | Promise<T>): Promise<T>;
  async withBehavior<T>(spec: string, options: ClientOptionValues | Readonly<Record<string, ClientOptionValues>>, fn: () => T | Promise<T>): Promise<T>;
  async withBehavior<T>(
    spec: string,
    optionsOrFn: ClientOptionValues | Readonly<Record<string, ClientOptionValues>> | (() => T | Promise<T>),
    maybeFn?: () => T | Promise<T>,
  ): Promise<T> {
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
    const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
    if (fn === undefined) throw new TypeError('withBehavior(spec, [options], fn): fn is missing');
    const previous = await this.getBehaviorState();
    const started = performance.now();
    await this.setBehavior(spec, options);
    try {
      return await fn();
    } finally {
      await this.restore(previous, (performance.now() - started) / 1000);
    }
  }

  /** Puts `previous` back; a timed setting with its base and the time it had left, less `elapsedSeconds`. */
  private async restore(previous: BehaviorState, elapsedSeconds: number): Promise<void> {
    if (previous.remaining === undefined || previous.restores === undefined) {
      await this.request('PUT', '/behavior', { behavior: previous.behavior, options: previous.options });
      return;
    }
    await this.request('PUT', '/behavior', { behavior: previous.restores.behavior, options: previous.restores.options });
    const left = previous.remaining - elapsedSeconds;
    if (left > 0) await this.request('PUT', '/behavior', { behavior: previous.behavior, options: previous.options, duration: left });
  }

  private async request(method: string, path: string, body?: unknown, as: 'json' | 'text' = 'json'): Promise<unknown> {
    const headers: Record<string, string> = { Accept: as === 'json' ? 'application/json' : 'text/plain' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token !== undefined) headers['Authorization'] = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ControlApiUnreachableError(`cannot reach the control API at ${this.baseUrl}: ${causeOf(error)}`);
    }
    const text = await response.text();
    if (!response.ok) throw new ControlApiError(response.status, errorsOf(text, response.status));
    if (as === 'text') return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ControlApiError(response.status, [{ location: 'body', name: 'body', description: `not JSON: ${text.slice(0, 80)}` }]);
    }
  }
}

function errorsOf(text: string, status: number): FieldError[] {
  try {
    const body = JSON.parse(text) as { errors?: FieldError[]; error?: unknown };
    if (Array.isArray(body.errors)) return body.errors;
    // A `vaurien server` answers as Toxiproxy does: `{"error": "...", "status": N}`.
    if (typeof body.error === 'string') return [{ location: 'response', name: String(status), description: body.error }];
  } catch {
    // not the API's JSON error (a proxy in between?): report the status
  }
  return [{ location: 'response', name: String(status), description: `HTTP ${status}${text.trim() !== '' ? `: ${text.trim().slice(0, 200)}` : ''}` }];
}

/** The useful part of a fetch failure: `connect ECONNREFUSED 127.0.0.1:8080`, or a timeout. */
function causeOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  let cause: unknown = error instanceof Error && error.cause !== undefined ? error.cause : error;
  // Happy eyeballs tried several addresses: the first failure is as good as any.
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  if (!(cause instanceof Error)) return String(cause);
  return cause.message !== '' ? cause.message : String((cause as NodeJS.ErrnoException).code);
}
