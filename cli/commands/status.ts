import type { RunCore } from "../../interpreter/core/advance.ts";
import { readRun } from "../../interpreter/host/read-run.ts";
import { driverOf } from "../../interpreter/host/run-driver.ts";
import { freshEnvelopeHint } from "../budget-option.ts";
import { brief } from "../describe-entry.ts";
import { UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { findRun, openRunStore } from "../run-store.ts";
import type { RunState } from "../../interpreter/core/state.ts";
import type { Json, Spent } from "../../interpreter/ledger/entry.ts";
import type { Budget } from "../../compiler/ir/cost.ts";
import { abortText, spendText } from "../../interpreter/core/budget.ts";
import type { RunRecord, Store } from "../../interpreter/store/store.ts";

export interface StatusOptions {
  readonly run: string;
  readonly store: string | undefined;
  readonly json: boolean;
}

/** `flow status RUN`: where a run stands, from the fold of its ledger: its vertices by state, what runs or waits, failures, result. */
export async function status(options: StatusOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store, { create: false });
  try {
    const record = await findRun(store, options.run);
    const { summary, state, driver } = await runStatus(store, record, Date.now());
    const counts = summary.vertices;
    const running = summary.running;
    if (options.json) {
      io.out(`${JSON.stringify(summary, null, 2)}\n`);
      return 0;
    }
    const lines: [string, string][] = [
      ["run", `${record.id}  ${record.status}`],
      ["workflow", `${record.workflow} (${record.source})`],
      ["started", `${summary.startedAt.replace("T", " ").slice(0, 19)} UTC; ${summary.entries} entries, the last at ${summary.lastEntryAt.replace("T", " ").slice(0, 19)} UTC`],
      ["vertices", Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(" · ") || "none yet"],
      ["spent", spendText(summary.spent, summary.ceilings)],
    ];
    if (running.length > 0) lines.push(["running", running.slice(0, 10).join(", ") + (running.length > 10 ? `, … (${running.length})` : "")]);
    for (const [at, what] of state.parked) lines.push(["parked", `${at}, waiting for ${what}`]);
    for (const { at, failure } of state.failures) lines.push(["failure", `${at}: ${failure.kind}: ${failure.message}`]);
    if (state.status === "completed") lines.push(["result", brief(state.result)]);
    if (state.status === "aborted") {
      lines.push(["aborted", abortText(state.budget)]);
      lines.push(["next", freshEnvelopeHint(record.id, state.budget.ceilings)]);
    }
    if (state.status === "paused") lines.push(["next", `\`flow resume ${record.id}\` lets it go on`]);
    if (driver.kind !== "none") {
      lines.push(["driver", `${driver.lease.owner}${driver.kind === "live" ? ", a live process of this machine" : `, another machine (its lease runs until ${new Date(driver.lease.expiresAt).toISOString()})`}`]);
    } else if (record.status === "running" || record.status === "interrupted") {
      // The store says running, and nothing drives it: its process was killed (or the machine went down).
      lines.push(["driver", `none${driver.last === null ? "" : `: ${driver.last.owner} let it go or is gone`}`]);
      lines.push(["next", `\`flow resume ${record.id}\` continues it where it stopped`]);
    }
    for (const [label, text] of lines) io.out(`${label.padEnd(9)} ${text}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** Where a run stands, as `flow status --json` prints it and `flow serve` answers `GET /api/runs/:id`. */
export interface RunSummary {
  readonly run: string;
  readonly status: RunRecord["status"];
  readonly workflow: string;
  readonly source: string;
  readonly startedAt: string;
  readonly lastEntryAt: string;
  readonly entries: number;
  readonly head: string;
  /** How many vertex instances are in each state. */
  readonly vertices: Record<string, number>;
  readonly running: string[];
  readonly parked: Record<string, string>;
  readonly driver: { readonly owner: string; readonly until: string } | null;
  readonly failures: RunState["failures"];
  readonly result: Json;
  /** What the run has spent of its current envelope (tokens, US dollars, compute and wall ms), and the envelope's ceilings (null: none). */
  readonly spent: Spent;
  readonly ceilings: Budget;
}

/** A run's summary from the fold of its ledger, and which process drives it at `now`. */
export async function runStatus(store: Store, record: RunRecord, now: number): Promise<{ readonly summary: RunSummary; readonly state: RunState; readonly driver: Awaited<ReturnType<typeof driverOf>> }> {
  let core: RunCore;
  try {
    ({ core } = await readRun(store, record.id));
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: "`flow replay` checks the whole ledger" });
  }
  const state = core.state;
  const driver = await driverOf(store, record.id, now);
  // A cancel kills what is in flight and records only `run.cancelled`: the fold leaves those vertices running, and they are not.
  const cancelled = state.status === "cancelled";
  const inFlight = (v: { readonly status: string }) => v.status === "running" || v.status === "scheduled";
  const counts: Record<string, number> = {};
  for (const vertex of state.vertices.values()) {
    const shown = cancelled && inFlight(vertex) ? "cancelled" : vertex.status;
    counts[shown] = (counts[shown] ?? 0) + 1;
  }
  const running = cancelled ? [] : [...state.vertices.entries()].filter(([, v]) => inFlight(v)).map(([key, v]) => (v.attempt === 1 ? key : `${key} (attempt ${v.attempt})`));
  const summary: RunSummary = {
    run: record.id,
    status: record.status,
    workflow: record.workflow,
    source: record.source,
    startedAt: new Date(record.createdAt).toISOString(),
    lastEntryAt: new Date(state.at).toISOString(),
    entries: state.head.seq + 1,
    head: state.head.hash,
    vertices: counts,
    running,
    parked: Object.fromEntries(state.parked),
    driver: driver.kind === "none" ? null : { owner: driver.lease.owner, until: new Date(driver.lease.expiresAt).toISOString() },
    failures: state.failures,
    result: state.status === "completed" ? state.result : null,
    spent: { ...state.budget.spent },
    ceilings: state.budget.ceilings,
  };
  return { summary, state, driver };
}
