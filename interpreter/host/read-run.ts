import { RunCore } from "../core/advance.ts";
import { restoreSnapshot } from "../core/snapshot.ts";
import { emptyHead } from "../ledger/chain.ts";
import { BrokenChain, checkedEntries } from "../ledger/checked-entries.ts";
import type { EntryOf } from "../ledger/entry.ts";
import type { Store } from "../store/store.ts";

/**
 * A run read back from its store: its first entry (the program), its
 * latest snapshot and the entries after it, folded, with every link of
 * the chain it reads checked. What `flow resume` continues from and what
 * `flow status` shows.
 */
export async function readRun(store: Store, run: string): Promise<{ readonly core: RunCore; readonly first: EntryOf<"run.started"> }> {
  try {
    let first: EntryOf<"run.started"> | null = null;
    for await (const entry of checkedEntries(store, run, emptyHead, 0)) first = entry as EntryOf<"run.started">;
    if (first === null || first.kind !== "run.started") throw new Error(`run ${run} has no run.started entry`);
    const snapshot = await store.latestSnapshot(run);
    const core = new RunCore(first, snapshot === null ? undefined : restoreSnapshot(snapshot.text));
    for await (const entry of checkedEntries(store, run, core.state.head)) core.fold(entry);
    return { core, first };
  } catch (error) {
    if (error instanceof BrokenChain) throw new Error(`run ${run}: ${error.message}`);
    throw error;
  }
}
