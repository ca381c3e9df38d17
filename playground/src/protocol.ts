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

export type ToWorker =
  | { readonly kind: "analyse"; readonly version: number; readonly path: string; readonly text: string }
  | { readonly kind: "format"; readonly id: number; readonly path: string; readonly text: string };

export type FromWorker = Analysis | FormatResult | { readonly kind: "crashed"; readonly message: string };
