import type { Budget } from "../../compiler/ir/cost.ts";
import type { RunState } from "../../interpreter/core/state.ts";
import { readRun } from "../../interpreter/host/read-run.ts";
import type { Spent } from "../../interpreter/ledger/entry.ts";
import type { RunRecord, RunStatus, Store } from "../../interpreter/store/store.ts";

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

/**
 * The runs in the store, newest first, each with its spend read from the
 * fold of its ledger (its latest snapshot and what follows). The inspector
 * asks every few seconds, and most runs have not moved since: a run whose
 * head is the one its row was read at keeps that row, so only runs that
 * moved are folded again.
 */
export class RunList {
  private readonly rows = new Map<string, { readonly head: string; readonly row: Omit<RunRow, "status" | "updatedAt"> }>();

  constructor(private readonly store: Store) {}

  async read(limit: number): Promise<RunRow[]> {
    const rows: RunRow[] = [];
    const listed = await this.store.listRuns({ limit });
    for (const record of listed) {
      const head = (await this.store.head(record.id))?.hash ?? "";
      let known = this.rows.get(record.id);
      if (known === undefined || known.head !== head) {
        known = { head, row: await this.fold(record) };
        this.rows.set(record.id, known);
      }
      // The record's status and time are the store's own (a lease taken or let go moves them without an entry).
      rows.push({ ...known.row, status: record.status, updatedAt: new Date(record.updatedAt).toISOString() });
    }
    // Rows of runs no longer listed are not kept.
    const ids = new Set(listed.map((r) => r.id));
    for (const id of [...this.rows.keys()]) if (!ids.has(id)) this.rows.delete(id);
    return rows;
  }

  private async fold(record: RunRecord): Promise<Omit<RunRow, "status" | "updatedAt">> {
    let state: RunState | null = null;
    try {
      state = (await readRun(this.store, record.id)).core.state;
    } catch {
      // A ledger that does not read (tampered) still lists; `GET /api/runs/:id` says what is wrong with it.
    }
    return {
      run: record.id,
      workflow: record.workflow,
      source: record.source,
      createdAt: new Date(record.createdAt).toISOString(),
      entries: state === null ? 0 : state.head.seq + 1,
      budget: state === null ? null : { spent: { ...state.budget.spent }, ceilings: { ...state.budget.ceilings } },
      parked: state === null ? {} : Object.fromEntries(state.parked),
    };
  }
}
