// Shared by the control API tests: an in-process proxy in front of a real backend, with its
// control API on a free port, and a JSON client (undici) that returns status, headers and body.
import type { TestContext } from 'node:test';
import { request } from 'undici';
import { startControlApi, type ControlApi, type ControlApiOptions } from '../../lib/control/http-api.js';
import { silentLogger } from '../../lib/log.js';
import type { ProxyOptions } from '../../lib/proxy/proxy.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

export interface ApiHarness extends TestProxy {
  readonly api: ControlApi;
  readonly base: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The parsed body (undefined when it is not JSON). */
  // `any`: each assertion reads the fields of the endpoint it calls.
  readonly json: any;
}

export async function startApi(
  t: TestContext,
  proxyOptions: Omit<ProxyOptions, 'seed'> & { seed?: number },
  apiOptions: Partial<ControlApiOptions> = {},
): Promise<ApiHarness> {
  const proxy = await startTestProxy(t, proxyOptions);
  const api = await startControlApi(proxy.proxy, { host: '127.0.0.1', port: 0, log: silentLogger, ...apiOptions });
  t.after(() => api.close());
  const base = `http://127.0.0.1:${api.address.port}`;
  return {
    ...proxy,
    api,
    base,
    call: (method, path, body, headers = {}) => call(base, method, path, body, headers),
  };
}

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(payload !== undefined ? { body: payload } : {}),
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}
