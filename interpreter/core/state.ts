import type { ChainHead } from "../ledger/chain.ts";
import type { Budget } from "../../compiler/ir/cost.ts";
import type { Failure, GateDecision, Json, RunOptions, Spent } from "../ledger/entry.ts";
import type { ItemMap } from "./item-map.ts";

/**
 * A run's state: the fold of its ledger (apply.ts), and nothing else. It
 * is plain data in maps filled in ledger order, so it serialises to a
 * snapshot (snapshot.ts) and back to the same state.
 */

export type VertexStatus =
  /** Decided; not yet taken up by the host. */
  | "scheduled"
  /** Its body is running in a sandbox. */
  | "running"
  /** Its attempt failed; `decide` retries it or gives up. */
  | "failed"
  /** A retry is decided; the next attempt waits for its backoff timer. */
  | "retrying"
  /** Its process died with the run (a crash); it is scheduled again, same attempt. */
  | "interrupted"
  | "completed"
  | "skipped";

export interface VertexState {
  status: VertexStatus;
  attempt: number;
  args: Readonly<Record<string, Json>>;
  result: Json;
  failure: Failure | null;
  /** Why it was skipped: the instance that failed. */
  because: string | null;
  /** The checkpoints the current attempt passed, in order. */
  checkpoints: { readonly label: string; readonly steps: number }[];
  /** The journal ids of the current attempt's steps, by index (those it carried over from an earlier attempt first). */
  stepIds: string[];
  /** Where a retry starts: the last checkpoint of the attempt that failed, and the steps before it, which it does not run again. */
  carried: CarriedCheckpoint | null;
}

export interface CarriedCheckpoint {
  /** The attempt that passed it, and its place among that attempt's checkpoints: its work tree copy is `ATTEMPT-ORDINAL`. */
  readonly attempt: number;
  readonly ordinal: number;
  readonly label: string;
  /** The journal ids of the steps before it, by index. */
  readonly ids: readonly string[];
}

export type JournalRecord = { readonly result: Json } | { readonly failure: Failure };

export interface FanOutState {
  readonly items: number;
  /** Items that have begun (one of their vertices was scheduled): they count against `concurrency` until done. */
  readonly begun: ItemMap<true>;
  readonly dropped: Map<number, Failure>;
  /** The seq of the last entry that changed something inside each item: `decide` re-reads an item only after one. */
  readonly changedAt: ItemMap<number>;
}

/**
 * The run's envelope: its ceilings (the workflow's `budget`, or the last
 * `flow resume --budget`) and what it has spent since they were set.
 */
export interface BudgetState {
  ceilings: Budget;
  readonly spent: Spent;
  /** The worst cases of the attempts in flight (wall time aside), held back from what remains. */
  readonly reserved: Spent;
  /** A dispatch was refused: nothing more is, until a new envelope. */
  stopped: boolean;
  /** The latest `at` the fold has charged wall time up to. */
  clock: number;
}

export interface GateState {
  readonly decision: GateDecision;
  /** The approver's name, or null when the timeout's default applied. */
  readonly by: string | null;
  readonly comment: string | null;
}

export interface RunState {
  readonly run: string;
  head: ChainHead;
  /** The time of the last entry from the world: decided entries carry it. */
  at: number;
  readonly workflow: string;
  readonly irHash: string;
  readonly args: Readonly<Record<string, Json>>;
  readonly seed: string;
  readonly options: RunOptions;
  /**
   * `aborted`: stopped by its budget; a new envelope (`budget.set`) lets it
   * go on. `paused`: by someone, until `run.unpaused`. `cancelled`: for good.
   */
  status: "running" | "parked" | "paused" | "aborted" | "completed" | "failed" | "cancelled";
  readonly vertices: Map<string, VertexState>;
  /** Step results by journal id. */
  readonly journal: Map<string, JournalRecord>;
  readonly fanOuts: Map<string, FanOutState>;
  readonly barriers: Set<string>;
  readonly timers: Map<string, { readonly until: number; fired: boolean }>;
  /** Instances the run is parked at, with what they wait for. */
  readonly parked: Map<string, string>;
  readonly budget: BudgetState;
  /** Why the run was aborted (`run.aborted`), until a new envelope lets it go on. */
  abortReason: string | null;
  /** Decisions at gates (an `approve`, a node's `gate`), by instance: a person's, or a timeout's default. */
  readonly gates: Map<string, GateState>;
  /** The values `wait signal`s received, by instance. */
  readonly signals: Map<string, Json>;
  /** The seq of the last entry after which everything must be looked at again (a takeover). */
  resetAt: number;
  /** Vertex instances scheduled or running: the run-wide concurrency counts them. */
  active: number;
  result: Json;
  failures: { readonly at: string; readonly failure: Failure }[];
}
