// `vaurien --help | head -1`: a reader that stops early closes the pipe under the command's
// output. The command stops quietly, as Unix tools do, with no stack trace on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VAURIEN_NODE_FLAGS } from '../../lib/cli/node-flags.js';
import { VAURIEN_BIN } from '../helpers/cli.js';

const VAURIENCTL_BIN = fileURLToPath(new URL('../../dist/bin/vaurienctl.js', import.meta.url));

/** Runs `script args`, closes its stdout after the first chunk; resolves with its exit code and stderr. */
function readFirstChunkOnly(script: string, args: readonly string[]): Promise<{ code: number | null; stderr: string; first: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...VAURIEN_NODE_FLAGS, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let first = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.once('data', (chunk: Buffer) => {
      first = chunk.toString('utf8');
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, first }));
  });
}

for (const [name, script] of [['vaurien', VAURIEN_BIN], ['vaurienctl', VAURIENCTL_BIN]] as const) {
  test(`${name} --help read by a reader that stops after its first line ends quietly, status 0`, async () => {
    // The help is written in pieces larger than a read, and the pipe closes after the first:
    // five tries, since the writer may finish before the reader closes.
    for (let attempt = 0; attempt < 5; attempt++) {
      const { code, stderr, first } = await readFirstChunkOnly(script, ['--help']);
      assert.match(first, new RegExp(`^Usage: ${name}`));
      assert.equal(stderr, '', `stderr after the pipe closed:\n${stderr}`);
      assert.equal(code, 0);
    }
  });
}
