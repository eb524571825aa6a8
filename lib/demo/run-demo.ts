// `vaurien demo` (and `npm start`): a built-in HTTP backend (or --backend's), the proxy in front
// of it with the usual flags (20:delay,10:error unless --behavior), traffic for a while with a
// progress bar, then a table of what the clients saw per behavior. Exits 0 by itself.
import { SingleBar } from 'cli-progress';
import { startFromSettings } from '../cli/run-proxy.js';
import type { RunSettings } from '../cli/settings.js';
import type { ProgramIo } from '../cli/vaurien-program.js';
import { formatHostPort, type HostPort } from '../proxy/address.js';
import { startDemoBackend } from './demo-backend.js';
import { sendTraffic } from './demo-client.js';
import { closingHints } from './demo-hints.js';
import { DemoTally } from './demo-report.js';
import { planDemo, type DemoGiven } from './demo-settings.js';

export interface DemoOptions {
  readonly durationSeconds: number;
  readonly concurrency: number;
  /** Where the flags the demo could supply itself were given. */
  readonly given: DemoGiven;
  /** The arguments of this run, without `demo`: the closing hints repeat them. */
  readonly args: readonly string[];
}

/** A request taking longer than this is a timeout, as an application would give up. */
const CLIENT_TIMEOUT_MS = 5000;

export async function runDemo(settings: RunSettings, options: DemoOptions, io: ProgramIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const plan = planDemo(settings, options.given);
  const ownBackend = plan.backend === undefined ? await startDemoBackend() : undefined;
  const backend = plan.backend ?? { host: '127.0.0.1', port: ownBackend?.port ?? 0 };
  const behaviors = new Map<string, string>();
  let running: Awaited<ReturnType<typeof startFromSettings>>;
  try {
    // Said here: the demo's proxy logs errors only, which would hide them.
    for (const warning of plan.settings.warnings) io.stderr.write(`vaurien demo: ${warning}\n`);
    running = await startFromSettings({ ...plan.settings, backend, warnings: [] }, io, {
      quiet: true,
      onExchange: (event) => behaviors.set(`${event.clientPort}:${event.exchange}`, event.behavior),
    });
  } catch (error) {
    await ownBackend?.close();
    throw error;
  }
  const proxyAddress = running.proxy.address();
  const spec = running.proxy.getBehavior().behavior;
  io.stdout.write(
    `vaurien demo: backend http://${formatHostPort(backend)}${ownBackend !== undefined ? ' (built in)' : ''}, ` +
      `proxy http://${formatHostPort(proxyAddress)} (protocol ${plan.settings.protocol}, behavior ${spec}, seed ${running.proxy.seed})\n` +
      `${options.concurrency} clients send GETs for ${options.durationSeconds}s; a request slower than ${CLIENT_TIMEOUT_MS / 1000}s is a timeout\n` +
      (running.api !== undefined ? `control API on http://${formatHostPort(running.api.address)}: try ${vaurienctlFor(running.api.address)} set-behavior hang\n` : ''),
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
      ...reachable(proxyAddress),
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
    await ownBackend?.close();
  }
  io.stdout.write(`\n${tally.format()}\n\n`);
  const ran = Object.keys(running.proxy.getBehavior().options);
  io.stdout.write(`${closingHints({ args: options.args, seed: running.proxy.seed, behaviors: ran, env })}\n`);
  return 0;
}

/** Where the demo's clients connect: the proxy's address, or loopback when it listens on all. */
function reachable(address: HostPort): HostPort {
  if (address.host === '0.0.0.0') return { ...address, host: '127.0.0.1' };
  if (address.host === '::') return { ...address, host: '::1' };
  return address;
}

/** `vaurienctl`, with --host/--port when the API is not where vaurienctl looks by default. */
function vaurienctlFor(api: HostPort): string {
  const host = api.host === '127.0.0.1' || api.host === '::1' || api.host === 'localhost' ? [] : [`--host ${api.host}`];
  const port = api.port === 8080 ? [] : [`--port ${api.port}`];
  return ['vaurienctl', ...host, ...port].join(' ');
}
