import type { Failure, Json } from "../ledger/entry.ts";

/**
 * What `decide` has derived and will not derive differently: the values of
 * `let`s and fan-outs once known, and which items of a fan-out are
 * finished. Every entry is a function of the run's state that no later
 * entry can change, so a process that starts without it (a resume, a
 * replay) derives the same again; it only saves walking finished work.
 */
export class DecideMemo {
  readonly lets = new Map<string, { readonly value: Json }>();
  readonly fanOuts = new Map<string, { readonly value: Json }>();
  private readonly progress = new Map<string, FanOutProgress>();

  /** The progress of a fan-out instance of `count` items. */
  items(fanOut: string, count: number): FanOutProgress {
    let progress = this.progress.get(fanOut);
    if (progress === undefined) {
      // Pushed, not `new Array(count)`: a long array made with its length is a dictionary in V8, no faster than a map.
      const final: (FinalItem | undefined)[] = [];
      for (let i = 0; i < count; i++) final.push(undefined);
      progress = { donePrefix: 0, final, waiting: new Float64Array(count).fill(notWaiting), failed: new Map() };
      this.progress.set(fanOut, progress);
    }
    return progress;
  }
}

export interface FanOutProgress {
  /** Items below this index are all finished. */
  donePrefix: number;
  /** The finished items, by item (an array: `decide` reads one for every item it passes). */
  readonly final: (FinalItem | undefined)[];
  /**
   * Items found waiting only for their own vertices, with the seq they were
   * read at (`notWaiting` for the others): until an entry changes something
   * inside one (FanOutState's `changedAt`), reading it again would find the
   * same, so it is not read. An array by item: `decide` looks up every item
   * in flight on every pass.
   */
  readonly waiting: Float64Array;
  /** Items that failed in a fan-out without `tolerate` (finished, as if dropped), with their failures, which stand. */
  readonly failed: Map<number, readonly { readonly at: string; readonly failure: Failure }[]>;
}

/** A finished item: its value, or dropped (it failed). */
export type FinalItem = { readonly value: Json } | { readonly dropped: true };

/** In `waiting`: the item is not known to be waiting (below every seq). */
export const notWaiting = -1;
