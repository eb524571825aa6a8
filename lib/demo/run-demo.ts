// `vaurien demo` (and `npm start`): a built-in HTTP backend, the proxy in front of it with the
// usual flags (20:delay,10:error unless --behavior), traffic for a while with a progress bar,
// then a table of what the clients saw per behavior. Exits 0 by itself.
import { SingleBar } from 'cli-progress';
import { startFromSettings } from '../cli/run-proxy.js';
import type { RunSettings } from '../cli/settings.js';
import { UsageError } from '../cli/usage-error.js';
import type { ProgramIo } from '../cli/vaurien-program.js';
import { formatHostPort } from '../proxy/address.js';
import { startDemoBackend } from './demo-backend.js';
import { sendTraffic } from './demo-client.js';
import { DemoTally } from './demo-report.js';

export interface DemoOptions {
  readonly durationSeconds: number;
  readonly concurrency: number;
}

/** A request taking longer than this is a timeout, as an application would give up. */
const CLIENT_TIMEOUT_MS = 5000;

export async function runDemo(settings: RunSettings, options: DemoOptions, io: ProgramIo): Promise<number> {
  if (settings.workers > 1) throw new UsageError('demo: --workers is for the proxy; the demo runs in one process');
  const backend = await startDemoBackend();
  const behaviors = new Map<string, string>();
  const running = await startFromSettings(
    {
      ...settings,
      protocol: 'http',
      proxy: { host: '127.0.0.1', port: 0 },
      backend: { host: '127.0.0.1', port: backend.port },
      // The demo's own proxy logs only real trouble; the table tells the story.
      logLevel: settings.logLevel === 'info' ? 'error' : settings.logLevel,
    },
    io,
    { quiet: true, onExchange: (event) => behaviors.set(`${event.clientPort}:${event.exchange}`, event.behavior) },
  );
  const proxyAddress = running.proxy.address();
  const spec = running.proxy.getBehavior().behavior;
  io.stdout.write(
    `vaurien demo: backend http://127.0.0.1:${backend.port}, proxy http://${formatHostPort(proxyAddress)} ` +
      `(behavior ${spec}, seed ${running.proxy.seed})\n` +
      `${options.concurrency} clients send GETs for ${options.durationSeconds}s; a request slower than ${CLIENT_TIMEOUT_MS / 1000}s is a timeout\n` +
      (running.api !== undefined ? `control API on http://${formatHostPort(running.api.address)}: try vaurienctl set-behavior hang\n` : ''),
  );

  const tally = new DemoTally();
  const durationMs = options.durationSeconds * 1000;
  const isTerminal = (io.stdout as NodeJS.WriteStream).isTTY === true;
  const bar = new SingleBar({
    stream: io.stdout,
    format: '  [{bar}] {percentage}% | {requests} requests',
    hideCursor: true,
    noTTYOutput: false,
  });
  if (isTerminal) bar.start(100, 0, { requests: 0 });
  const started = performance.now();
  const ticker = setInterval(() => {
    if (isTerminal) bar.update(Math.min(100, Math.round(((performance.now() - started) / durationMs) * 100)), { requests: tally.total });
  }, 100);
  try {
    await sendTraffic({
      port: proxyAddress.port,
      concurrency: options.concurrency,
      durationMs,
      timeoutMs: CLIENT_TIMEOUT_MS,
      onResult: (result) => {
        tally.add(behaviors.get(result.exchangeKey) ?? 'unreached', result);
        behaviors.delete(result.exchangeKey);
      },
    });
  } finally {
    clearInterval(ticker);
    if (isTerminal) {
      bar.update(100, { requests: tally.total });
      bar.stop();
    }
    await running.stop(0);
    await backend.close();
  }
  io.stdout.write(`\n${tally.format()}\n\n`);
  io.stdout.write(`Same choices again: add --seed ${running.proxy.seed}. Other mixes: npm start -- --behavior 10:hang,10:abort --behavior-delay-sleep 0.2\n`);
  return 0;
}
