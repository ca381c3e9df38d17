import { readRun } from "../../interpreter/host/read-run.ts";
import type { RunCore } from "../../interpreter/core/advance.ts";
import type { EntryOf } from "../../interpreter/ledger/entry.ts";
import type { RunRecord, Store } from "../../interpreter/store/store.ts";
import { lookupRun } from "../../cli/run-store.ts";
import { ApiError } from "./api-error.ts";

/** The run a route's `:id` names (its id or a unique prefix, as on the command line): 404 when none, 400 when several. */
export async function runRecord(store: Store, id: string): Promise<RunRecord> {
  const found = await lookupRun(store, id);
  switch (found.kind) {
    case "found":
      return found.record;
    case "ambiguous":
      throw new ApiError(400, "ambiguous_run", `\`${id}\` names ${found.matches.length} runs`, "give more of the id");
    case "none":
      throw new ApiError(404, "unknown_run", `no run \`${id}\` in this store`, "`GET /api/runs` lists the runs");
  }
}

/** The run read back from its ledger; a ledger whose chain does not hold is a 409: nothing can be said of it but that. */
export async function readRunOr409(store: Store, run: string): Promise<{ readonly core: RunCore; readonly first: EntryOf<"run.started"> }> {
  try {
    return await readRun(store, run);
  } catch (error) {
    throw new ApiError(409, "broken_ledger", (error as Error).message, "`POST /api/runs/:id/replay` (or `flow replay`) says where it breaks");
  }
}
