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

  items(fanOut: string): FanOutProgress {
    let progress = this.progress.get(fanOut);
    if (progress === undefined) this.progress.set(fanOut, (progress = { donePrefix: 0, final: new Map(), waiting: new Map(), failed: new Map() }));
    return progress;
  }
}

export interface FanOutProgress {
  /** Items below this index are all finished. */
  donePrefix: number;
  readonly final: Map<number, { readonly value: Json } | { readonly dropped: true }>;
  /**
   * Items found waiting only for their own vertices, with the seq they were
   * read at: until an entry changes something inside one (FanOutState's
   * `changedAt`), reading it again would find the same, so it is not read.
   */
  readonly waiting: Map<number, number>;
  /** Items that failed in a fan-out without `tolerate` (finished, as if dropped), with their failures, which stand. */
  readonly failed: Map<number, readonly { readonly at: string; readonly failure: Failure }[]>;
}
