import type { StoredEntry } from "./store.ts";

/**
 * The seqs a write carries, checked before the store is touched: a wrong
 * one is the caller's mistake, unlike a `SeqConflict`, which depends on
 * what the ledger holds.
 */

/** A run starts at seq 0. */
export function checkFirstSeq(run: string, first: StoredEntry): void {
  if (first.seq !== 0) throw new RangeError(`run ${run}: a run's first entry has seq 0, not ${first.seq}`);
}

/** A batch's seqs run on one by one from its first. */
export function checkBatchSeqs(run: string, entries: readonly StoredEntry[]): void {
  const first = entries[0]?.seq ?? 0;
  entries.forEach((entry, index) => {
    if (entry.seq !== first + index) {
      throw new RangeError(
        `run ${run}: the batch's entry ${index} has seq ${entry.seq}; a batch's seqs run on from its first (${first + index} expected)`,
      );
    }
  });
}
