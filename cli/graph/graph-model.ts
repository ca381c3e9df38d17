import type { Tolerate } from "../../compiler/ir/body.ts";
import type { Budget, CostVector } from "../../compiler/ir/cost.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import type { Barrier, Verdict, Vertex } from "../../compiler/ir/workflow.ts";
import { WorkflowModelBuilder } from "./workflow-model.ts";

/**
 * What `flow graph` shows, built from the IR alone (never from the syntax
 * tree) and independent of any layout: for each workflow its nodes (the
 * parameters, the calls of units with their worst-case cost, the `let`s
 * computed from other values, each fan-out's items, `if` conditions and the
 * barriers), the nesting of fan-outs and branches, the edges (the values
 * that cross them, with their types, and the order barriers and branches
 * impose) and the totals against the budget. The renderers (text.ts,
 * mermaid.ts, dot.ts) only lay it out.
 */
export interface GraphModel {
  /** The entry file, as the IR names it. */
  readonly entry: string;
  readonly workflows: readonly WorkflowModel[];
}

export interface WorkflowModel {
  readonly name: string;
  /** `workflow monorepo_to_turbo(repo: string) -> List<Migration>` */
  readonly label: string;
  /** Every node, in the order the body computes them (parameters first): a topological order of the data edges. */
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** The parameters' nodes. */
  readonly params: readonly string[];
  /** The body's structure: nodes, fan-outs and branches as nested in the source. */
  readonly body: readonly Item[];
  readonly edges: readonly GraphEdge[];
  /** Tokens, dollars and compute summed over the vertices; wall time along the critical path. */
  readonly worst: CostVector;
  readonly budget: Budget;
  readonly verdicts: readonly Verdict[];
}

export type VertexKind = Vertex["kind"];

export type BarrierKind = Barrier["kind"];

/** `multiplier` (the fan-outs around the vertex) × `attempts` × `perAttempt` = `worst`, as the IR has it. */
export type VertexCost = Vertex["cost"];

interface NodeCommon {
  /** Unique in its workflow: `vertex:migrate_package`, `let:broken`, `barrier:approve:merge`, `item:pkg`, `if:1`. */
  readonly id: string;
  /** One line, as the program would write it: `pkgs = list_packages(repo)`, `approve "merge" show migrations …`. */
  readonly label: string;
  /** The barrier node it waits for (the last before it in its block or an enclosing one), null for none. */
  readonly after: string | null;
}

export type GraphNode =
  | (NodeCommon & { readonly kind: "param"; readonly name: string; readonly type: string })
  | (NodeCommon & {
      readonly kind: "vertex";
      readonly vertex: string;
      readonly unit: string;
      readonly unitKind: VertexKind;
      /** The `let` it is bound to, if any. */
      readonly name: string | null;
      readonly cost: VertexCost;
    })
  /** A unit's `gate` clause: its result is held for a human before anything reads it; the edges out of the vertex leave from here. */
  | (NodeCommon & { readonly kind: "gate"; readonly gate: string; readonly vertex: string })
  | (NodeCommon & { readonly kind: "let"; readonly name: string })
  /** The items of a fan-out: the edges of `for pkg in …`'s `pkg` leave from here, and those of the list it yields (`fromList`). */
  | (NodeCommon & { readonly kind: "item"; readonly fanOut: string; readonly binding: string })
  | (NodeCommon & { readonly kind: "condition" })
  | (NodeCommon & { readonly kind: "barrier"; readonly barrier: BarrierKind; readonly name: string | null });

export interface FanOutModel {
  readonly id: string;
  readonly binding: string;
  /** The `let` it is bound to, if any. */
  readonly name: string | null;
  /** The node of its items. */
  readonly item: string;
  readonly bound: number;
  readonly concurrency: number | null;
  readonly tolerate: Tolerate | null;
  readonly limit: number | null;
  /** `migrations = for pkg in pkgs ×200, 12 at a time` */
  readonly label: string;
}

export type Item =
  | { readonly kind: "node"; readonly node: string; /** A vertex's gate node. */ readonly gate: string | null }
  | { readonly kind: "fanOut"; readonly fanOut: FanOutModel; readonly body: readonly Item[] }
  | { readonly kind: "branch"; readonly condition: string; readonly then: readonly Item[]; readonly else: readonly Item[] };

/**
 * `data`: a value crosses from one node to the other; `values` are the
 * arguments it is passed as, with their types (none for what a fan-out, a
 * `let`, a condition or a barrier reads). `fromList`: the value is the list
 * the fan-out of the `item` node `from` yields, ready once all its items
 * are. `order`: no value, but `to` starts only once `from` has finished (a
 * barrier), or only when `from` (a condition) chooses its branch.
 */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: "data" | "order";
  readonly fromList: boolean;
  readonly values: readonly { readonly param: string; readonly type: string }[];
}

/** Where a node sits: the fan-outs and branch arms (`if:1/then`) around it, outermost first. */
export interface Placement {
  readonly fanOuts: readonly string[];
  readonly arms: readonly string[];
}

/** The model of every workflow of a compiled program, in the IR's order. */
export function graphModel(ir: Ir): GraphModel {
  return { entry: ir.entry, workflows: ir.workflows.map((w) => new WorkflowModelBuilder(ir, w).build()) };
}
