// The connections a proxy has open: an array in which each one knows its place, not a Set. V8
// allocates the table a Set (or Map) rehashes into in the old generation once the Set's table is
// there, and the table it replaces keeps its entries until the next mark-compact: under churn the
// Set rehashed every few accepts, and every closed connection outlived scavenges through an old
// table (test/reliability/closed-connections.test.ts). Removal moves the last one into the gap.

/** What the list keeps: its place in it (-1 when not listed). */
export interface Listed {
  listIndex: number;
}

export class OpenConnections<T extends Listed> implements Iterable<T> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    item.listIndex = this.items.length;
    this.items.push(item);
  }

  /** Takes `item` out; nothing happens when it is not listed. */
  delete(item: T): void {
    const at = item.listIndex;
    if (this.items[at] !== item) return;
    const last = this.items.pop() as T;
    if (last !== item) {
      this.items[at] = last;
      last.listIndex = at;
    }
    item.listIndex = -1;
  }

  /** The connections open now: one closing while they are walked changes nothing of the walk. */
  [Symbol.iterator](): Iterator<T> {
    return this.items.slice()[Symbol.iterator]();
  }
}
