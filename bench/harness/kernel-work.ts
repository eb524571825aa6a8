// A stand-in for the system calls a proxy makes between its JavaScript: small writes to
// /dev/null. On a kernel that empties the TLB on every call (page-table isolation without PCID),
// the code and data used after one are fetched again, as in a proxy between socket reads.
import { openSync, writeSync } from 'node:fs';

/** What each call writes: about a reply chunk of 16 pipelined GETs. */
const WRITTEN = Buffer.alloc(600);

/** A function that makes `calls` system calls each time it is called (none for 0). */
export function kernelWork(calls: number): () => void {
  if (calls === 0) return () => {};
  const devNull = openSync('/dev/null', 'w');
  return () => {
    for (let call = 0; call < calls; call++) writeSync(devNull, WRITTEN);
  };
}
