import { pendingTimers } from "../interpreter/core/pending-timers.ts";
import { readRun } from "../interpreter/host/read-run.ts";
import type { Store } from "../interpreter/store/store.ts";

/**
 * The parked runs with a timer due (a `sleep`, a gate's timeout, a
 * retry's backoff): what `flow tick` continues once, and `flow serve`
 * every second. A parked run's timers are its ledger's, which does not
 * move while it is parked, so each run's earliest unfired timer is kept
 * by the head it was read at and its ledger is folded again only when the
 * head moves: a server's pass over a thousand parked runs reads their
 * heads, not their ledgers.
 */
export class DueRuns {
  private readonly next = new Map<string, { readonly head: string; readonly until: number | null }>();

  constructor(private readonly store: Store) {}

  async at(now: number): Promise<string[]> {
    const due: string[] = [];
    const parked = new Set<string>();
    for (const record of await this.store.listRuns()) {
      if (record.status !== "parked") continue;
      parked.add(record.id);
      const head = (await this.store.head(record.id))?.hash ?? "";
      let known = this.next.get(record.id);
      if (known === undefined || known.head !== head) {
        const { core } = await readRun(this.store, record.id);
        let until: number | null = null;
        for (const [, due] of pendingTimers(core.state)) if (until === null || due < until) until = due;
        known = { head, until };
        this.next.set(record.id, known);
      }
      if (known.until !== null && known.until <= now) due.push(record.id);
    }
    for (const run of [...this.next.keys()]) if (!parked.has(run)) this.next.delete(run);
    return due;
  }
}
