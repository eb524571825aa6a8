// The proxy's list of open connections: whatever order they are added and taken out in, it holds
// exactly those still open, and a walk over it is not disturbed by one closing meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OpenConnections } from '../../lib/proxy/open-connections.js';

interface Item {
  readonly name: number;
  listIndex: number;
}

const names = (list: Iterable<Item>): number[] => [...list].map((item) => item.name).sort((a, b) => a - b);

test('holds exactly the items added and not yet deleted, in any order of adds and deletes', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(20))), (steps) => {
      const list = new OpenConnections<Item>();
      const items = Array.from({ length: 21 }, (_, name): Item => ({ name, listIndex: -1 }));
      const expected = new Set<number>();
      for (const [add, name] of steps) {
        const item = items[name] as Item;
        if (add && !expected.has(name)) {
          list.add(item);
          expected.add(name);
        } else if (!add) {
          // Deleting one not listed (twice, or never added) changes nothing.
          list.delete(item);
          expected.delete(name);
        }
        assert.deepEqual(names(list), [...expected].sort((a, b) => a - b));
        assert.equal(list.size, expected.size);
      }
    }),
  );
});

test('a walk sees every item listed when it began, even as they are deleted during it', () => {
  const list = new OpenConnections<Item>();
  const items = Array.from({ length: 5 }, (_, name): Item => ({ name, listIndex: -1 }));
  for (const item of items) list.add(item);
  const seen: number[] = [];
  for (const item of list) {
    seen.push(item.name);
    list.delete(item);
    list.delete(items[4] as Item);
  }
  assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4]);
  assert.equal(list.size, 0);
});
