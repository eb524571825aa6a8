// The proxies of a `vaurien server` by name: create (409 on a taken name), populate (checked
// whole before anything changes), delete, reset. Listener changes run one at a time, so two
// requests never race on one name; toxic changes are synchronous and never wait behind them.
import { objectBody, type JsonObject } from './json-fields.js';
import { asListenError } from './listen-address.js';
import { NEW_PROXY, readProxyFields, type ProxyFields } from './proxy-input.js';
import { ServerProxy, type ServerProxySettings } from './server-proxy.js';
import { parseNewToxic } from './toxic.js';
import { badRequestBody, missingField, proxyAlreadyExists, proxyNotFound, ToxiproxyError } from './toxiproxy-error.js';

/** What /populate answers: the proxies it made or kept, and the error that stopped it, if any. */
export interface PopulateResult {
  readonly proxies: readonly ServerProxy[];
  readonly error: ToxiproxyError | undefined;
}

export class ProxyRegistry {
  private readonly proxies = new Map<string, ServerProxy>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly settings: ServerProxySettings) {}

  get(name: string): ServerProxy {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) throw proxyNotFound();
    return proxy;
  }

  all(): readonly ServerProxy[] {
    return [...this.proxies.values()];
  }

  /** POST /proxies. */
  async create(body: unknown): Promise<ServerProxy> {
    const fields = readProxyFields(objectBody(body, 'toxiproxy.Proxy'), NEW_PROXY);
    if (fields.name === '') throw missingField('name');
    if (fields.upstream === '') throw missingField('upstream');
    checkToxics(fields, '');
    return this.serially(async () => {
      if (this.proxies.has(fields.name)) throw proxyAlreadyExists();
      const proxy = this.make(fields);
      if (fields.enabled) await proxy.start().catch((error: unknown) => Promise.reject(asListenError(error)));
      this.proxies.set(proxy.name, proxy);
      return proxy;
    });
  }

  /** POST /proxies/{proxy} and PATCH: fields default to the proxy's own. */
  async update(name: string, body: unknown): Promise<ServerProxy> {
    const proxy = this.get(name);
    const fields = readProxyFields(objectBody(body, 'toxiproxy.Proxy'), { name, listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled, protocol: proxy.protocol });
    return this.serially(async () => {
      await proxy.update(fields);
      return proxy;
    });
  }

  /** DELETE /proxies/{proxy}: stops it (its connections close) and forgets it. */
  remove(name: string): Promise<void> {
    return this.serially(async () => {
      const proxy = this.get(name);
      this.proxies.delete(name);
      await proxy.dispose();
    });
  }

  /**
   * POST /populate (and --config): every entry is checked before any proxy changes; then each
   * is created, kept when an existing one has the same listen, upstream and protocol, or
   * replaced. An entry's `toxics` replace that proxy's toxics.
   */
  async populate(body: unknown): Promise<PopulateResult> {
    const entries = populateEntries(body);
    return this.serially(async () => {
      const done: ServerProxy[] = [];
      for (const fields of entries) {
        try {
          const existing = this.proxies.get(fields.name);
          let proxy = existing;
          if (existing === undefined || (await existing.differs(fields))) {
            await existing?.dispose();
            if (existing !== undefined) this.proxies.delete(existing.name);
            proxy = this.make(fields);
            if (fields.enabled) await proxy.start().catch((error: unknown) => Promise.reject(asListenError(error)));
            this.proxies.set(proxy.name, proxy);
          } else if (fields.toxics !== undefined) {
            existing.resetToxics();
            for (const toxic of fields.toxics) existing.addToxic(toxic);
          }
          done.push(proxy as ServerProxy);
        } catch (error) {
          if (!(error instanceof ToxiproxyError)) throw error;
          return { proxies: done, error };
        }
      }
      return { proxies: done, error: undefined };
    });
  }

  /** POST /reset: every proxy enabled and without toxics; the first failure to listen is reported after all were tried. */
  reset(): Promise<void> {
    return this.serially(async () => {
      let first: unknown;
      for (const proxy of this.proxies.values()) {
        proxy.resetToxics();
        await proxy.start().catch((error: unknown) => (first ??= error));
      }
      if (first !== undefined) throw first;
    });
  }

  /** Stops every proxy (the server closes). */
  close(): Promise<void> {
    return this.serially(async () => {
      await Promise.all([...this.proxies.values()].map((proxy) => proxy.dispose()));
      this.proxies.clear();
    });
  }

  private make(fields: ProxyFields): ServerProxy {
    const proxy = new ServerProxy(fields, this.settings);
    for (const toxic of fields.toxics ?? []) proxy.addToxic(toxic);
    return proxy;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The entries of a /populate body, all checked (names, upstreams, toxics) before any is used. */
function populateEntries(body: unknown): readonly ProxyFields[] {
  if (!Array.isArray(body)) {
    const kind = body === undefined ? undefined : body === null ? 'null' : typeof body === 'object' ? 'object' : typeof body;
    if (kind === undefined) throw badRequestBody('EOF');
    throw badRequestBody(`json: cannot unmarshal ${kind} into Go value of type []struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }`);
  }
  return body.map((entry: unknown, at) => {
    const fields = readProxyFields(objectBody(entry, 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }') as JsonObject, NEW_PROXY);
    if (fields.name === '') throw missingField(`name at proxy ${at + 1}`);
    if (fields.upstream === '') throw missingField(`upstream at proxy ${at + 1}`);
    checkToxics(fields, ` at proxy ${at + 1}`);
    return fields;
  });
}

/** A proxy's declared toxics are checked before it is made: a bad one refuses the whole request. */
function checkToxics(fields: ProxyFields, where: string): void {
  const names = new Set<string>();
  for (const body of fields.toxics ?? []) {
    try {
      names.add(parseNewToxic(body, (name) => names.has(name), () => {}).name);
    } catch (error) {
      if (error instanceof ToxiproxyError) throw new ToxiproxyError(`${error.message} (toxic ${names.size + 1}${where})`, error.status);
      throw error;
    }
  }
}
