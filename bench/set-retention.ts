// Why the proxy keeps its open connections in an array (lib/proxy/open-connections.ts): a Set
// or Map whose table lies in V8's old generation keeps what it held past scavenges. Plain
// objects, no sockets: a long-lived container (a Set, a Map, or the proxy's own list) takes
// objects in and lets them go 16 at a time, as a proxy under churn does with its connections,
// and each run prints the bytes its old generation grew by (what scavenges promoted: no
// mark-compact runs in between). "old": two full GCs first move the container's table to the
// old generation, as the first mark-compact of a proxy does.
//   node --import tsx bench/set-retention.ts
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { OpenConnections } from '../lib/proxy/open-connections.js';

const KINDS = ['set', 'map', 'array'] as const;
type Kind = (typeof KINDS)[number];
const OBJECTS = 1_000_000;
const LIVE = 16;
const FLAGS = ['--expose-gc', '--max-semi-space-size=4', '--initial-heap-size=64', '--no-allocation-site-pretenuring'];

/** The container under test: add and delete, whatever its kind (the array is the proxy's own list). */
function container(kind: Kind): { add(item: Item): void; delete(item: Item): void } {
  if (kind === 'set') return new Set<Item>();
  if (kind === 'map') {
    const map = new Map<Item, true>();
    return { add: (item) => map.set(item, true), delete: (item) => map.delete(item) };
  }
  return new OpenConnections<Item>();
}

/** A connection's worth of objects, about 400 bytes. */
interface Item {
  listIndex: number;
  readonly parts: number[];
  readonly state: { readonly open: boolean; readonly seen: number[] };
}

const oldSpace = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0;

function child(kind: Kind, old: boolean): void {
  const held = container(kind);
  const gc = (globalThis as { gc?: () => void }).gc as () => void;
  if (old) {
    held.add({ listIndex: -1, parts: [], state: { open: true, seen: [] } });
    gc();
    gc();
  }
  const live: Item[] = [];
  const before = oldSpace();
  for (let index = 0; index < OBJECTS; index++) {
    const item: Item = { listIndex: -1, parts: Array.from({ length: 30 }, () => index), state: { open: true, seen: [index, index] } };
    held.add(item);
    live.push(item);
    if (live.length > LIVE) held.delete(live.shift() as Item);
  }
  process.stdout.write(`${((oldSpace() - before) / 1e6).toFixed(1)}`);
}

const [mode, kind, age] = process.argv.slice(2);
if (mode === '--child') {
  child(kind as Kind, age === 'old');
} else {
  const self = fileURLToPath(import.meta.url);
  process.stdout.write(`${OBJECTS} objects through each container, ${LIVE} held at a time; MB promoted\n`);
  process.stdout.write('container  table young  table old\n');
  for (const each of KINDS) {
    const run = (tableAge: string): string => spawnSync(process.execPath, [...FLAGS, '--import', 'tsx', self, '--child', each, tableAge], { encoding: 'utf8' }).stdout;
    process.stdout.write(`${each.padEnd(9)}  ${run('young').padStart(11)}  ${run('old').padStart(9)}\n`);
  }
}
