// What a system call costs on this machine, and what touching memory costs right after one: the
// time of one small write to /dev/null, then of K reads of distinct pages with and without that
// write before them. Where the kernel empties the TLB on every entry (page-table isolation
// without PCID), code that runs between system calls pays again for every page it touches: why
// the same JavaScript costs more in a proxy than in a loop (bench/RESULTS.md, thirteenth pass).
//   node --import tsx bench/syscall-cost.ts [--rounds N]
import { parseArgs } from 'node:util';
import { kernelWork } from './harness/kernel-work.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ITERATIONS = 200_000;
const PAGE = 4096;
/** Pages apart and a cache line over, so that each read lands on its own page and its own cache set. */
const STRIDE = 17 * PAGE + 64;
const oneCall = kernelWork(1);
const memory = new Uint8Array(64 << 20);
for (let at = 0; at < memory.length; at += PAGE) memory[at] = 1;

/** Nanoseconds per iteration: a write to /dev/null (when `withCall`), then one read on each of `pages` pages. */
function perIteration(pages: number, withCall: boolean): number {
  let sum = 0;
  const started = process.hrtime.bigint();
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    if (withCall) oneCall();
    for (let page = 0; page < pages; page++) sum += memory[(page * STRIDE) % memory.length] as number;
  }
  const nanoseconds = Number(process.hrtime.bigint() - started) / ITERATIONS;
  // The sum is used, so the reads are not optimised away.
  return sum < 0 ? -1 : nanoseconds;
}

process.stdout.write('pages touched: ns per iteration without a system call / with one before them; extra per page after the call\n');
for (let round = 1; round <= Number(values.rounds); round++) {
  const call = perIteration(0, true);
  const cells = [`round ${round}: the call alone ${call.toFixed(0)} ns`];
  for (const pages of [16, 64, 256]) {
    const without = perIteration(pages, false);
    const withCall = perIteration(pages, true);
    cells.push(`${pages} pages ${without.toFixed(0)} / ${withCall.toFixed(0)} (+${((withCall - call - without) / pages).toFixed(1)} per page)`);
  }
  process.stdout.write(`${cells.join(', ')}\n`);
}
