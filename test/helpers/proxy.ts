// An in-process vaurien proxy on a free port, closed when the test ends.
import type { TestContext } from 'node:test';
import { createProxy, type ProxyOptions, type VaurienProxy } from '../../lib/proxy/proxy.js';
import { createLogger } from '../../lib/log.js';

export interface TestProxy {
  readonly proxy: VaurienProxy;
  readonly host: string;
  readonly port: number;
  /** `host:port`, for clients that take one string. */
  readonly address: string;
}

/** Set VAURIEN_TEST_LOG=debug to see the proxy's log lines while a test runs. */
const testLogLevel = process.env['VAURIEN_TEST_LOG'];

export async function startTestProxy(t: TestContext, options: Omit<ProxyOptions, 'seed'> & { seed?: number }): Promise<TestProxy> {
  const proxy = createProxy({
    seed: 1,
    ...(testLogLevel === 'debug' || testLogLevel === 'info' ? { log: createLogger(testLogLevel) } : {}),
    ...options,
  });
  const { host, port } = await proxy.listen(0, '127.0.0.1');
  t.after(() => proxy.close());
  return { proxy, host, port, address: `${host}:${port}` };
}
