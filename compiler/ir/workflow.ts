import { z } from "zod";
import { Expr, Stmt, Tolerate } from "./body.ts";
import { Amount, Budget, CostUnit, CostVector } from "./cost.ts";
import { Effect } from "./effect.ts";
import { JsonSchema } from "./json-schema.ts";
import { Span } from "./span.ts";
import { Param } from "./unit.ts";

/**
 * A call of a unit (or a sub-workflow) in a workflow: one vertex of the
 * DAG, run once per item of each fan-out around it. Its id is the callee's
 * name, with `#2`, `#3`… for its later calls in the same workflow.
 */
export const Vertex = z
  .strictObject({
    id: z.string(),
    /** The unit or workflow called, by its name in `units` or `workflows`. */
    unit: z.string(),
    kind: z.enum(["node", "agent", "verifier", "workflow"]),
    /** Bound to the callee's parameters, in source order, each with the type of the value passed. */
    args: z.array(z.strictObject({ param: z.string(), value: Expr, type: JsonSchema })),
    span: Span,
    /** The innermost fan-out it is in, null outside any. */
    fanOut: z.string().nullable(),
    /** The barrier it waits for: the last before it in its block or an enclosing one. */
    after: z.string().nullable(),
    /**
     * Worst-case cost: `multiplier` (the fan-out widths around it) × `attempts` × `perAttempt` = `worst`; wall time is per
     * vertex, not multiplied. Every vertex has one, wherever its call stands (an `if` condition, a `fail` message and a
     * barrier's expressions included): a call without one would escape its workflow's budget.
     */
    cost: z.strictObject({
      /** The fan-outs around it as the cost table shows them: `200 pkgs`. */
      fanOut: z.array(z.string()),
      multiplier: Amount,
      attempts: z.int().positive(),
      perAttempt: CostVector,
      worst: CostVector,
    }),
  })
  .meta({ id: "Vertex" });

export type Vertex = z.infer<typeof Vertex>;

/**
 * Where a value a vertex reads comes from: a workflow parameter, another
 * vertex's result, the list a fan-out yields, a fan-out's item, the value
 * of a `wait signal`, or any other `let` (a value computed from these).
 */
export const Source = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("param"), name: z.string() }),
    z.strictObject({ kind: z.literal("vertex"), vertex: z.string() }),
    z.strictObject({ kind: z.literal("fanOut"), for: z.string() }),
    z.strictObject({ kind: z.literal("item"), for: z.string() }),
    z.strictObject({ kind: z.literal("signal"), barrier: z.string() }),
    z.strictObject({ kind: z.literal("let"), let: z.string() }),
  ])
  .meta({ id: "Source" });

export type Source = z.infer<typeof Source>;

/**
 * A dependency of a vertex: its argument for `param` reads `from`. `type`
 * is the type of that argument, the value that crosses into the callee and
 * is validated against its parameter's schema. An argument that reads
 * nothing (a constant) has no edge.
 */
export const Edge = z.strictObject({ from: Source, to: z.string(), param: z.string(), type: JsonSchema }).meta({ id: "Edge" });

export type Edge = z.infer<typeof Edge>;

/** The static shape of a `for` in a workflow: its vertices run once per item, at most `bound` items. */
export const FanOut = z
  .strictObject({
    id: z.string(),
    binding: z.string(),
    span: Span,
    /** The fan-out it is nested in, null at the top. */
    parent: z.string().nullable(),
    /** What its list is computed from. */
    reads: z.array(Source),
    /** The type of the list it iterates: its `maxItems`, when it has one, is the list's static bound. */
    list: JsonSchema,
    /** At most this many items: the list's static bound, or `limit` when smaller. */
    bound: z.int().nonnegative(),
    concurrency: z.int().positive().nullable(),
    tolerate: Tolerate.nullable(),
    limit: z.int().positive().nullable(),
  })
  .meta({ id: "FanOut" });

export type FanOut = z.infer<typeof FanOut>;

const barrier = {
  id: z.string(),
  span: Span,
  fanOut: z.string().nullable(),
  /** The barrier before this one in its block or an enclosing one. */
  after: z.string().nullable(),
  /** What its expressions read. */
  reads: z.array(Source),
};

/**
 * `verify`, `approve`, `sleep` and `wait signal`: each starts when every
 * vertex above it has finished, and nothing below it starts before it
 * passes. Ids: `verify`, `approve:NAME`, `sleep`, `signal:NAME`, with `#N`
 * for a later one with the same id.
 */
export const Barrier = z
  .discriminatedUnion("kind", [
    /** A false verdict of `check` (a verifier's vertex) fails the run with `message`. */
    z.strictObject({ kind: z.literal("verify"), ...barrier, check: Expr, message: Expr }),
    z.strictObject({
      kind: z.literal("approve"),
      ...barrier,
      gate: z.string(),
      show: Expr.nullable(),
      by: z.string().nullable(),
      timeout: Expr.nullable(),
      /** What applies when the timeout passes. */
      default: z.enum(["approve", "reject"]).nullable(),
    }),
    z.strictObject({ kind: z.literal("sleep"), ...barrier, duration: Expr }),
    z.strictObject({ kind: z.literal("signal"), ...barrier, signal: z.string(), type: JsonSchema, timeout: Expr.nullable() }),
  ])
  .meta({ id: "Barrier" });

export type Barrier = z.infer<typeof Barrier>;

/**
 * A `let` of a workflow whose value is computed from others (`let flagged =
 * filter(scans, …)`), not bound to one vertex, fan-out or signal: what it
 * reads.
 */
export const Let = z
  .strictObject({ id: z.string(), name: z.string(), span: Span, fanOut: z.string().nullable(), reads: z.array(Source) })
  .meta({ id: "Let" });

export type Let = z.infer<typeof Let>;

/** A workflow's verdict for one unit of its budget, with the terms its worst case adds up from. */
export const Verdict = z
  .strictObject({
    unit: CostUnit,
    verdict: z.enum(["fits", "may exceed", "cannot fit"]),
    worst: Amount,
    ceiling: z.number().nonnegative(),
    /** One line per vertex that costs anything of this unit: `migrate_package: 200 pkgs × 4 attempts × 2h = 1600h`. */
    derivation: z.array(z.string()),
  })
  .meta({ id: "Verdict" });

export type Verdict = z.infer<typeof Verdict>;

export const Workflow = z
  .strictObject({
    name: z.string(),
    span: Span,
    params: z.array(Param),
    result: JsonSchema,
    grants: z.array(Effect),
    budget: Budget,
    timeout: Expr.nullable(),
    body: z.array(Stmt),
    vertices: z.array(Vertex),
    edges: z.array(Edge),
    fanOuts: z.array(FanOut),
    lets: z.array(Let),
    barriers: z.array(Barrier),
    cost: z.strictObject({
      /** Tokens, dollars and compute summed over every vertex; wall time along the critical path. */
      worst: CostVector,
      /** One per unit the budget limits, in the order tokens, usd, compute, wall. */
      verdicts: z.array(Verdict),
    }),
  })
  .meta({ id: "Workflow" });

export type Workflow = z.infer<typeof Workflow>;
