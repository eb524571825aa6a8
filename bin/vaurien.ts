#!/usr/bin/env -S node --max-semi-space-size=4 --initial-heap-size=64
// `vaurien`: parse the command line, then run the proxy or the demo. A user mistake prints
// one line and exits 2; any other failure prints one line and exits 1.
import { runDemo } from '../lib/demo/run-demo.js';
import { parseCommandLine } from '../lib/cli/vaurien-program.js';
import { runProxyCommand } from '../lib/cli/run-command.js';
import { ReportedUsageError, isUsageError } from '../lib/cli/usage-error.js';

const io = { stdout: process.stdout, stderr: process.stderr };

try {
  const invocation = await parseCommandLine(process.argv.slice(2), io);
  if (invocation.command === 'exit') process.exitCode = invocation.code;
  else if (invocation.command === 'demo') process.exitCode = await runDemo(invocation.settings, invocation, io);
  else process.exitCode = await runProxyCommand(invocation.settings, io);
} catch (error) {
  if (!(error instanceof ReportedUsageError)) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`vaurien: ${message.split('\n')[0]}\n`);
    if (!isUsageError(error) && process.env['VAURIEN_DEBUG'] !== undefined && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = isUsageError(error) ? 2 : 1;
}
