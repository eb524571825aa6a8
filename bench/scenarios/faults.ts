// The fault log's cost (redis, 50 connections, 10:error, without and with --fault-log FILE: the
// rate may drop under 5 %) and an idle proxy's CPU alone, watched by the dashboard's two event
// streams, and by a real browser tab on /ui/ (empty rows without chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { findBinary } from '../../test/helpers/backends.js';
import { closedLoop } from '../load/closed-loop.js';
import { cpuMicros } from '../harness/processes.js';
import type { Metrics, Scenario, TargetName } from '../harness/scenario.js';
import { wires } from '../harness/wire.js';
import { cpuRow } from './request-rate.js';

const CONNECTIONS = 50;

export const faultLogScenario: Scenario = {
  id: 'redis/chaos-faultlog',
  protocol: 'redis',
  targets: ['vaurien-faults', 'vaurien-faultlog'],
  warmup: true,
  async run(target, { endpoints, seconds }) {
    const { port, pid } = await endpoints.get('redis', target);
    const result = await closedLoop({ port, connections: CONNECTIONS, pipeline: 1, seconds, wire: wires.redis, meter: () => cpuMicros(pid) });
    return { rate: result.requests / result.seconds, cpu: result.metered / result.requests };
  },
  rows: [
    {
      metric: 'rate',
      label: '10:error, --fault-log FILE vs none, 50 conns',
      unit: 'req/s',
      higherIsBetter: true,
      checks: [{ kind: 'ratio', target: 'vaurien-faultlog', base: 'vaurien-faults', min: 0.95 }],
    },
    cpuRow('10:error, CPU per req, fault log vs none'),
  ],
};

/** Opens what the dashboard keeps open on a proxy: the fault log's stream and the live state's (`GET /proxy` as events). */
async function openDashboardStreams(apiPort: number): Promise<() => void> {
  const base = `http://127.0.0.1:${apiPort}`;
  const streams = await Promise.all(['/events', '/proxy'].map((path) => request(`${base}${path}`, { headers: { accept: 'text/event-stream' } })));
  for (const stream of streams) stream.body.resume();
  return () => {
    for (const stream of streams) stream.body.destroy();
  };
}

/** A headless chromium with a tab open on /ui/ (undefined: no chromium here); the function closes it. */
async function openTab(apiPort: number): Promise<(() => Promise<void>) | undefined> {
  const executablePath = findBinary('chromium', 'chromium-browser');
  if (executablePath === undefined) return undefined;
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = mkdtempSync(join(tmpdir(), 'vaurien-bench-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', `--user-data-dir=${profile}`];
  const browser = await puppeteer.launch({ executablePath, headless: true, args });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${apiPort}/ui/`, { waitUntil: 'load' });
  return async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  };
}

/** CPU the process used while `work` ran, ms. */
async function cpuDuring(pid: number, work: () => Promise<unknown>): Promise<number> {
  const before = cpuMicros(pid);
  await work();
  return (cpuMicros(pid) - before) / 1000;
}

export function dashboardIdleScenario(quick: boolean): Scenario {
  const windowMs = quick ? 3000 : 10_000;
  const seconds = windowMs / 1000;
  return {
    id: 'tcp/dashboard-idle',
    protocol: 'tcp',
    targets: ['vaurien-api', 'vaurien-watched', 'vaurien-tab'],
    // A short round of each first: the first stream or page a process serves pays its JIT.
    warmup: true,
    // Three, for a median: a window now and then catches a collection the previous one's work left (~30 ms).
    maxReps: 3,
    async run(target: TargetName, { endpoints, note, seconds: measured, options }): Promise<Metrics> {
      const window = measured === options.warmupSeconds ? 1000 : windowMs;
      // One process for all three: what differs is who watches it.
      const { pid, apiPort } = await endpoints.get('tcp', 'vaurien-api');
      if (apiPort === undefined) throw new Error('vaurien started without its control API');
      await sleep(1500); // what the previous window left running settles
      const idleWindow = (): Promise<void> => sleep(window);
      if (target === 'vaurien-api') {
        const cpuMs = await cpuDuring(pid, idleWindow);
        // The idle figure feeds every row: each compares one way of watching with nobody watching.
        return { cpuMs, tabCpuMs: cpuMs };
      }
      if (target === 'vaurien-watched') {
        const close = await openDashboardStreams(apiPort);
        await sleep(1000);
        const cpuMs = await cpuDuring(pid, idleWindow);
        close();
        return { cpuMs };
      }
      let close: (() => Promise<void>) | undefined;
      // Opening the page: its files, its first requests, its streams.
      const openMs = await cpuDuring(pid, async () => {
        close = await openTab(apiPort);
        await sleep(1000);
      });
      if (close === undefined) {
        note('tcp/dashboard-idle: no chromium here (apt-get install chromium): the tab rows are empty');
        return {};
      }
      const tabCpuMs = await cpuDuring(pid, idleWindow);
      await close();
      return { tabCpuMs, openMs };
    },
    rows: [
      { metric: 'cpuMs', label: `idle proxy CPU over ${seconds} s: nobody vs the dashboard's 2 streams`, unit: 'ms cpu', higherIsBetter: false, compareAs: 'absolute' },
      { metric: 'tabCpuMs', label: `idle proxy CPU over ${seconds} s: nobody vs a browser tab on /ui/`, unit: 'ms cpu', higherIsBetter: false, compareAs: 'absolute' },
      { metric: 'openMs', label: 'proxy CPU to serve a tab opening /ui/ (page, first requests)', unit: 'ms cpu', higherIsBetter: false, compareAs: 'absolute' },
    ],
  };
}
