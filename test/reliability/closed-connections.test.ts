// A closed connection is garbage at the next scavenge: nothing of the proxy's own keeps it
// alive until the next mark-compact. Measured as the bytes V8 promotes to its old generation per
// connection under churn, after a full GC (which moves the proxy's long-lived objects there),
// against a bare Node pipe proxy in the same conditions. A Set of open connections did not pass:
// once its table sat in the old generation, each table it rehashed into went there too, and the
// table it replaced kept every connection it held until the next mark-compact (4–5 KB promoted
// per connection, against 1.2 KB for the pipe proxy).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { startChildEcho } from '../helpers/child-echo.js';

const LIBRARY = pathToFileURL(new URL('../../dist/lib/index.js', import.meta.url).pathname).href;
const WARM_UP = 1_500;
const MEASURED = 4_000;
const AT_ONCE = 16;

/**
 * The proxy in a child process with vaurien's Node flags. On `mark` it runs a full GC and notes
 * its old generation's size; on `measure` it prints what the old generation grew by since, and
 * how many mark-compacts ran meanwhile (their sweeping would hide what was promoted).
 */
const CHILD = `
import { createServer, connect } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
const [kind, backendPort] = process.argv.slice(1);
let port;
if (kind === 'vaurien') {
  const { createProxy } = await import(${JSON.stringify(LIBRARY)});
  ({ port } = await createProxy({ backend: '127.0.0.1:' + backendPort, logLevel: 'error' }).listen(0, '127.0.0.1'));
} else {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const backend = connect({ port: Number(backendPort), host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    client.pipe(backend);
    backend.pipe(client);
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
    client.on('close', () => backend.destroy());
    backend.on('close', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
}
// Entries come late (after the forced GCs' own): only those that started after the mark count.
let majors = 0;
let markedAt = Infinity;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && entry.startTime > markedAt) majors++;
}).observe({ entryTypes: ['gc'] });
const oldSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space').space_used_size;
let marked = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'mark') {
    globalThis.gc();
    globalThis.gc();
    marked = oldSpace();
    markedAt = performance.now();
    process.stdout.write('marked\\n');
  } else if (line === 'measure') {
    process.stdout.write('promoted ' + (oldSpace() - marked) + ' majors ' + majors + '\\n');
  }
});
process.stdout.write('port ' + port + '\\n');
`;

interface GcChild {
  readonly port: number;
  /** Sends `command` and resolves with the next line the child prints. */
  ask(command: string): Promise<string>;
}

async function startGcChild(t: TestContext, kind: 'vaurien' | 'pipe', backendPort: number): Promise<GcChild> {
  const flags = [...VAURIEN_NODE_FLAGS, '--expose-gc', '--input-type=module', '-e', CHILD];
  const child = spawn(process.execPath, [...flags, kind, String(backendPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done === true) throw new Error(`the ${kind} child exited`);
    return line.value;
  };
  const port = Number(/^port (\d+)$/.exec(await next())?.[1]);
  return {
    port,
    ask: (command) => {
      child.stdin.write(`${command}\n`);
      return next();
    },
  };
}

/** Opens `count` connections, `AT_ONCE` at a time; each sends 16 bytes, reads them back and ends. */
async function churn(port: number, count: number): Promise<void> {
  let started = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => socket.write('0123456789abcdef'));
      let received = 0;
      socket.on('data', (data: Buffer) => {
        received += data.length;
        if (received >= 16) socket.end();
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
}

/** Windows measured at most: one in which V8 ran a mark-compact by itself is measured again. */
const ATTEMPTS = 3;

/** Bytes promoted per connection through `kind` after a full GC. */
async function promotedPerConnection(t: TestContext, kind: 'vaurien' | 'pipe', backendPort: number): Promise<number> {
  const child = await startGcChild(t, kind, backendPort);
  await churn(child.port, WARM_UP);
  for (let attempt = 1; ; attempt++) {
    assert.equal(await child.ask('mark'), 'marked');
    await churn(child.port, MEASURED);
    const [, promoted, majors] = /^promoted (-?\d+) majors (\d+)$/.exec(await child.ask('measure')) ?? [];
    if (majors === '0') return Number(promoted) / MEASURED;
    assert.ok(attempt < ATTEMPTS, `a mark-compact ran in each of ${ATTEMPTS} windows while ${kind} was measured: what it promoted cannot be told`);
  }
}

test('a closed connection is not kept past scavenges: vaurien promotes about what a bare pipe proxy does per connection', async (t) => {
  const echo = await startChildEcho(t);
  const backendPort = Number(echo.address.split(':')[1]);
  const pipe = await promotedPerConnection(t, 'pipe', backendPort);
  const vaurien = await promotedPerConnection(t, 'vaurien', backendPort);
  const figures = `promoted per connection: vaurien ${(vaurien / 1024).toFixed(2)} KiB, pipe proxy ${(pipe / 1024).toFixed(2)} KiB`;
  t.diagnostic(figures);
  assert.ok(vaurien <= 1.5 * pipe, `${figures}: closed connections outlive scavenges`);
});
