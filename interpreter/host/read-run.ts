import { RunCore } from "../core/advance.ts";
import { restoreSnapshot } from "../core/snapshot.ts";
import { checkLink, describeBreak, emptyHead } from "../ledger/chain.ts";
import type { EntryOf } from "../ledger/entry.ts";
import type { Store } from "../store/store.ts";

/**
 * A run read back from its store: its first entry (the program), its
 * latest snapshot and the entries after it, folded, with every link of
 * the chain it reads checked. What `flow resume` continues from and what
 * `flow status` shows.
 */
export async function readRun(store: Store, run: string): Promise<{ readonly core: RunCore; readonly first: EntryOf<"run.started"> }> {
  let first: EntryOf<"run.started"> | null = null;
  for await (const stored of store.entries(run, 0, 0)) {
    const link = checkLink(run, emptyHead, stored.text);
    if ("broken" in link) throw new Error(`run ${run}: ${describeBreak(link.broken)}`);
    first = link.entry as EntryOf<"run.started">;
  }
  if (first === null || first.kind !== "run.started") throw new Error(`run ${run} has no run.started entry`);
  const snapshot = await store.latestSnapshot(run);
  const core = new RunCore(first, snapshot === null ? undefined : restoreSnapshot(snapshot.text));
  for await (const stored of store.entries(run, core.state.head.seq + 1)) {
    const link = checkLink(run, core.state.head, stored.text);
    if ("broken" in link) throw new Error(`run ${run}: ${describeBreak(link.broken)}`);
    core.fold(link.entry);
  }
  return { core, first };
}
