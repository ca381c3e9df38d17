import type { Budget } from "../../compiler/ir/cost.ts";
import type { RunState } from "../../interpreter/core/state.ts";
import { readRun } from "../../interpreter/host/read-run.ts";
import type { Spent } from "../../interpreter/ledger/entry.ts";
import type { RunStatus, Store } from "../../interpreter/store/store.ts";

/** One row of `GET /api/runs`: what the runs list shows. */
export interface RunRow {
  readonly run: string;
  readonly status: RunStatus;
  readonly workflow: string;
  readonly source: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly entries: number;
  /** Spent since the ceilings were set, against them (a ceiling of null: none); absent when the ledger cannot be read. */
  readonly budget: { readonly spent: Spent; readonly ceilings: Budget } | null;
  /** The instances the run is parked at, with what they wait for. */
  readonly parked: Record<string, string>;
}

/** The runs in the store, newest first, each with its spend read from the fold of its ledger (its latest snapshot and what follows). */
export async function runList(store: Store, limit: number): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for (const record of await store.listRuns({ limit })) {
    let state: RunState | null = null;
    try {
      state = (await readRun(store, record.id)).core.state;
    } catch {
      // A ledger that does not read (tampered) still lists; `GET /api/runs/:id` says what is wrong with it.
    }
    rows.push({
      run: record.id,
      status: record.status,
      workflow: record.workflow,
      source: record.source,
      createdAt: new Date(record.createdAt).toISOString(),
      updatedAt: new Date(record.updatedAt).toISOString(),
      entries: state === null ? 0 : state.head.seq + 1,
      budget: state === null ? null : { spent: { ...state.budget.spent }, ceilings: { ...state.budget.ceilings } },
      parked: state === null ? {} : Object.fromEntries(state.parked),
    });
  }
  return rows;
}
