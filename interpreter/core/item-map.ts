/**
 * Values by fan-out item (0, 1, 2, …), iterated in the order they were
 * first set, as a Map iterates: what a fan-out's state keeps per item
 * (FanOutState). An array by item underneath rather than a Map: the fold
 * writes one on most entries and `decide` reads one for every item in
 * flight on every pass, and a Map of hundreds of thousands of items costs
 * a cache miss on most lookups. The order of first setting is kept beside
 * it because a snapshot writes the items in that order.
 *
 * Only the fan-out's items (integers below `capacity`) go in the array;
 * any other number a hand-written ledger may name is kept in a Map, so
 * that it behaves as it always did and cannot make the array huge.
 */
export class ItemMap<V> {
  private readonly byItem: (V | undefined)[] = [];
  private readonly others = new Map<number, V>();
  private readonly order: number[] = [];

  constructor(private readonly capacity: number) {}

  static from<V>(capacity: number, entries: Iterable<readonly [number, V]>): ItemMap<V> {
    const map = new ItemMap<V>(capacity);
    for (const [item, value] of entries) map.set(item, value);
    return map;
  }

  get(item: number): V | undefined {
    return this.isItem(item) ? this.byItem[item] : this.others.get(item);
  }

  has(item: number): boolean {
    return this.get(item) !== undefined;
  }

  /** Sets an item's value (never `undefined`); an item set before keeps its place in the order. */
  set(item: number, value: V): void {
    if (this.isItem(item)) {
      while (this.byItem.length <= item) this.byItem.push(undefined);
      if (this.byItem[item] === undefined) this.order.push(item);
      this.byItem[item] = value;
    } else {
      if (!this.others.has(item)) this.order.push(item);
      this.others.set(item, value);
    }
  }

  /** The items set, in the order they were first set. */
  keys(): IterableIterator<number> {
    return this.order.values();
  }

  *[Symbol.iterator](): IterableIterator<[number, V]> {
    for (const item of this.order) yield [item, this.get(item) as V];
  }

  private isItem(item: number): boolean {
    return Number.isInteger(item) && item >= 0 && item < this.capacity;
  }
}
