import type { NodeProgress } from "./graph/node-states.ts";

/**
 * The messages between the page and the compiler's worker. Both sides
 * switch on `kind`; structured clone carries them, so they hold plain data
 * only (no class instances, no functions).
 */

/** Offsets are UTF-16 code units into the entry file; lines and columns are 1-based, as Monaco counts. */
export interface TextRange {
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface MarkerDiagnostic {
  readonly code: string;
  readonly severity: "error" | "warning" | "note";
  readonly message: string;
  /** Where the primary label points, in the entry file; an import's line when the problem is in an imported file. */
  readonly range: TextRange;
  /** The primary label, the secondary labels and the help: the hover's body. */
  readonly detail: string;
}

/** A type or a signature shown on hover over the expression at `range`. */
export interface HoverType {
  readonly range: TextRange;
  readonly text: string;
}

export interface CostRow {
  readonly vertex: string;
  readonly multiplier: string;
  readonly attempts: string;
  readonly perAttempt: string;
  readonly worst: string;
}

export interface CostTotal {
  readonly unit: string;
  readonly worst: string;
  readonly budget: string;
  /** `fits`, `may exceed`, `exceeds` or `no ceiling`. */
  readonly verdict: string;
}

export interface CostTable {
  readonly rows: readonly CostRow[];
  readonly totals: readonly CostTotal[];
  /** Why a figure is unbounded or unknown, and how a verdict other than `fits` was reached. */
  readonly notes: readonly string[];
}

export interface LaidOutNode {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  /** Extra line under the label: a vertex's unit kind and worst case. */
  readonly detail: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface LaidOutEdge {
  readonly from: string;
  readonly to: string;
  /** `list`: the value is the whole list a fan-out yields, drawn from the bottom of its frame. */
  readonly kind: "data" | "order" | "list";
  /** Through which points to draw it: from the bottom of `from` to the top of `to`. */
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** A fan-out drawn once, as a frame around its body, with its bound. */
export interface LaidOutFrame {
  readonly id: string;
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly LaidOutNode[];
  readonly edges: readonly LaidOutEdge[];
  readonly frames: readonly LaidOutFrame[];
}

export interface WorkflowView {
  readonly name: string;
  /** `workflow hello() -> string` */
  readonly label: string;
  /** Where its declaration is, in 1-based lines: the cursor inside it shows its plan. */
  readonly lines: { readonly first: number; readonly last: number };
  readonly graph: GraphLayout;
  readonly costs: CostTable;
}

export interface Analysis {
  readonly kind: "analysis";
  /** The editor's version the source was taken at: an answer to an older edit is dropped. */
  readonly version: number;
  readonly diagnostics: readonly MarkerDiagnostic[];
  readonly hovers: readonly HoverType[];
  /** Undefined when the program has errors: it has no IR to draw. */
  readonly workflows: readonly WorkflowView[] | undefined;
  /** How long the check, lowering and layout took in the worker, in milliseconds. */
  readonly millis: number;
}

export type FormatResult =
  | { readonly kind: "formatted"; readonly id: number; readonly text: string }
  | { readonly kind: "not-formatted"; readonly id: number; readonly reason: string };

/** A gate or a `wait signal` a simulated run is parked at (simulate/simulation.ts). */
export interface SimulationWait {
  readonly instance: string;
  readonly kind: "approval" | "signal";
  /** `approval "merge"`, `signal "fix-merged"`. */
  readonly waitingFor: string;
  /** What a gate shows its approvers, as JSON text; null when it shows nothing. */
  readonly show: string | null;
  /** Its timeout, as a duration from the simulated now (`7d`); null without one. */
  readonly timeout: string | null;
}

/** A unit of the run's budget: spent so far, and its ceiling (null without one). */
export interface SimulationSpend {
  readonly unit: string;
  readonly spent: string;
  readonly ceiling: string | null;
  /** Spent as a share of the ceiling, 0 to 1 (or more); null without a ceiling. */
  readonly share: number | null;
}

/** How a simulated run stands, after each event. */
export interface SimulationFrame {
  readonly kind: "simulation";
  /** The page's number for the simulation: frames of one it has let go are dropped. */
  readonly id: number;
  /** `refused`: the source has errors or no such workflow; `stopped`: the page stopped it. */
  readonly status: "running" | "waiting" | "completed" | "failed" | "aborted" | "refused" | "stopped";
  readonly run: string;
  readonly workflow: string;
  /** Entries in the ledger so far. */
  readonly entries: number;
  /** The simulated time since the run started, as a duration (`2m30s`). */
  readonly elapsed: string;
  /** Each drawn node's state (graph/node-states.ts), by node id. */
  readonly states: readonly (readonly [string, NodeProgress])[];
  readonly waiting: readonly SimulationWait[];
  readonly spend: readonly SimulationSpend[];
  /** The run's result as JSON text, its failures, or why it could not start; null while it runs. */
  readonly outcome: string | null;
}

/** The page's answer to a simulated run waiting: a decision at a gate, a made-up signal, or letting the timeout pass. */
export type SimulationAnswer =
  | { readonly kind: "decide"; readonly instance: string; readonly decision: "approve" | "reject" }
  | { readonly kind: "signal"; readonly instance: string }
  | { readonly kind: "lapse"; readonly instance: string };

export type ToWorker =
  | { readonly kind: "analyse"; readonly version: number; readonly path: string; readonly text: string }
  | { readonly kind: "format"; readonly id: number; readonly path: string; readonly text: string }
  /** Simulates `workflow` of the source; `pace`: wall ms between events (0: as fast as it goes). */
  | { readonly kind: "simulate"; readonly id: number; readonly path: string; readonly text: string; readonly workflow: string; readonly pace: number }
  | { readonly kind: "simulation-answer"; readonly id: number; readonly answer: SimulationAnswer }
  | { readonly kind: "simulation-pace"; readonly id: number; readonly pace: number }
  | { readonly kind: "simulation-stop"; readonly id: number };

export type FromWorker = Analysis | FormatResult | SimulationFrame | { readonly kind: "crashed"; readonly message: string };
