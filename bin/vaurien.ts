#!/usr/bin/env -S node --max-semi-space-size=4 --initial-heap-size=64 --no-allocation-site-pretenuring --no-concurrent-array-buffer-sweeping
// `vaurien`: parse the command line, then run the proxy, the demo or (`vaurien server`) the
// Toxiproxy-compatible server. A user mistake prints one line and exits 2; any other failure
// prints one line and exits 1.
import { runDemo } from '../lib/demo/run-demo.js';
import { parseCommandLine } from '../lib/cli/vaurien-program.js';
import { runProxyCommand } from '../lib/cli/run-command.js';
import { runServerCommand } from '../lib/cli/server-program.js';
import { ReportedUsageError, isUsageError } from '../lib/cli/usage-error.js';
import { exitQuietlyWhenOutputCloses } from '../lib/cli/closed-pipe.js';
import { raiseMallocThresholds } from '../lib/cli/malloc-thresholds.js';

exitQuietlyWhenOutputCloses();
raiseMallocThresholds();

const io = { stdout: process.stdout, stderr: process.stderr };

async function run(argv: readonly string[]): Promise<number> {
  // `vaurien server` takes Toxiproxy's flags: it is parsed apart.
  if (argv[0] === 'server') return runServerCommand(argv.slice(1), io);
  const invocation = await parseCommandLine(argv, io);
  if (invocation.command === 'exit') return invocation.code;
  if (invocation.command === 'demo') return runDemo(invocation.settings, invocation, io);
  return runProxyCommand(invocation.settings, io);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ReportedUsageError)) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`vaurien: ${message.split('\n')[0]}\n`);
    if (!isUsageError(error) && process.env['VAURIEN_DEBUG'] !== undefined && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = isUsageError(error) ? 2 : 1;
}
