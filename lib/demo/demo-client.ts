// The demo's traffic: `concurrency` clients, each sending GETs one after another on a
// keep-alive connection until the time is up. Each request is classified the way an
// application would see it (2xx, 5xx, reset, timeout) and tied to the proxy's exchange by
// (client port, n-th request on that connection).
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';

export type Outcome = '2xx' | '5xx' | 'other' | 'reset' | 'timeout';

export interface RequestResult {
  readonly outcome: Outcome;
  readonly latencyMs: number;
  /** `clientPort:exchange`, matching the proxy's exchange events. */
  readonly exchangeKey: string;
}

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
  readonly onResult: (result: RequestResult) => void;
}

export async function sendTraffic({ host, port, concurrency, durationMs, timeoutMs, onResult }: LoadOptions): Promise<void> {
  const deadline = performance.now() + durationMs;
  const workers = Array.from({ length: concurrency }, async (_, worker) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const requestsOnSocket = new WeakMap<Socket, number>();
    try {
      for (let n = 0; performance.now() < deadline; n++) {
        onResult(await oneRequest(host, port, `/item/${worker}/${n}`, agent, requestsOnSocket, timeoutMs));
      }
    } finally {
      agent.destroy();
    }
  });
  await Promise.all(workers);
}

function oneRequest(host: string, port: number, path: string, agent: Agent, requestsOnSocket: WeakMap<Socket, number>, timeoutMs: number): Promise<RequestResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let exchangeKey = '';
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve({ outcome, latencyMs: performance.now() - started, exchangeKey });
    };
    const req = request({ host, port, path, agent }, (response) => {
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        settle(status >= 200 && status < 300 ? '2xx' : status >= 500 ? '5xx' : 'other');
      });
      response.on('error', () => settle('reset'));
    });
    req.on('socket', (socket: Socket) => {
      const count = (requestsOnSocket.get(socket) ?? 0) + 1;
      requestsOnSocket.set(socket, count);
      const key = (): string => `${socket.localPort}:${count}`;
      if (socket.localPort !== undefined) exchangeKey = key();
      else socket.once('connect', () => (exchangeKey = key()));
    });
    req.setTimeout(timeoutMs, () => {
      settle('timeout');
      req.destroy();
    });
    req.on('error', () => settle('reset'));
    req.end();
  });
}
