import { UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import type { Store } from "../../interpreter/store/store.ts";
import { NoStore, openRunStore } from "../run-store.ts";

export interface RunsOptions {
  readonly store: string | undefined;
  readonly json: boolean;
  readonly limit: number;
}

/** `flow runs`: the runs in the store, newest first. */
export async function runs(options: RunsOptions, io: CommandIo): Promise<number> {
  if (!Number.isInteger(options.limit) || options.limit < 1) throw new UsageError("`--limit` takes a whole number above 0");
  let store: Store;
  try {
    store = await openRunStore(options.store, { create: false });
  } catch (error) {
    // A directory where no run was started has none to list; a store named that is not there is a mistake.
    if (!(error instanceof NoStore && error.here)) throw error;
    return noRuns(options, io);
  }
  try {
    const list = await store.listRuns({ limit: options.limit });
    if (list.length === 0) return noRuns(options, io);
    if (options.json) {
      io.out(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    const rows = list.map((r) => [r.id, r.status, r.workflow, new Date(r.createdAt).toISOString().replace("T", " ").slice(0, 19), r.source]);
    const header = ["RUN", "STATUS", "WORKFLOW", "STARTED (UTC)", "SOURCE"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
    for (const row of [header, ...rows]) io.out(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function noRuns(options: RunsOptions, io: CommandIo): number {
  if (options.json) io.out("[]\n");
  else io.err("no runs yet: `flow run FILE` starts one\n");
  return 0;
}
