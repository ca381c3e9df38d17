import type { Store } from "../store/store.ts";
import { type ChainBreak, type ChainHead, checkLink, describeBreak } from "./chain.ts";
import type { Entry } from "./entry.ts";

/** A ledger in a store whose chain breaks: where, and how (`describeBreak`). */
export class BrokenChain extends Error {
  constructor(
    readonly run: string,
    readonly broken: ChainBreak,
  ) {
    super(describeBreak(broken));
    this.name = "BrokenChain";
  }
}

/**
 * A run's entries after `head` (up to seq `to`, if given), read from its
 * store a page at a time, each checked against the chain as it comes and
 * parsed: what reads a ledger back without replaying it (resuming, a
 * receipt, the inspector). A text that does not link to the one before,
 * or is not what its hash says, ends the reading with BrokenChain.
 */
export async function* checkedEntries(store: Store, run: string, head: ChainHead, to?: number): AsyncGenerator<Entry> {
  let last = head;
  for await (const stored of store.entries(run, head.seq + 1, to)) {
    const link = checkLink(run, last, stored.text);
    if ("broken" in link) throw new BrokenChain(run, link.broken);
    last = { seq: link.entry.seq, hash: link.entry.hash };
    yield link.entry;
  }
}
