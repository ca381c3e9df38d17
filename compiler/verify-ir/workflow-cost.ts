import { subExpressions } from "../ir/sub-expressions.ts";
import type { Expr, Stmt } from "../ir/body.ts";
import type { Amount, CostVector } from "../ir/cost.ts";
import type { Barrier, Vertex } from "../ir/workflow.ts";
import { defaultConcurrency } from "../ir/concurrency.ts";
import { add, max, shared, times, unbounded, zero } from "./amounts.ts";
import type { WorkflowIndex } from "./ir-index.ts";
import { barrierExprs } from "./barrier-exprs.ts";
import { topScope, walkExpr } from "./walk.ts";

/** What one vertex costs, as the verifier derives it from the IR: its attempts, and its worst case for one run of its call. */
export interface VertexFigures {
  readonly attempts: number;
  /** `attempts × perAttempt` (wall time: its attempts one after another, and the waits between them). */
  readonly run: CostVector;
}

interface Timing {
  /** Tokens, dollars and compute, summed; and the vertices' own wall times, every instance (their work). */
  readonly sum: CostVector;
  /** When the last vertex finishes, from the start of the workflow. */
  readonly end: Amount;
}

/**
 * A workflow's worst case, recomputed from its body and its vertices'
 * one-attempt costs (LANGUAGE.md §9): statements add up, an `if` costs its
 * condition and its dearer branch, a `for` multiplies its body by its
 * bound, a vertex by its attempts. Wall time follows the critical path: a
 * statement starts when the values it reads are ready and the barrier
 * before it has passed, the branches of an `if` once its condition is
 * decided, a barrier's expressions once everything before it is done, and
 * the barrier passes when they are (and its wait is over); M items at
 * concurrency N take ceil(M/N) rounds; and as a run has `defaultConcurrency`
 * slots, every vertex's own time, shared among them, is added to it. Every
 * vertex is priced, wherever it stands.
 */
export class WorkflowCost {
  constructor(
    private readonly graph: WorkflowIndex,
    private readonly figures: (vertex: Vertex) => VertexFigures,
  ) {}

  total(): CostVector {
    const timing = this.block(this.graph.workflow.body, 0, new Map());
    // Greedy dispatch on the run's slots ends by the critical path plus the work shared among the slots (Graham).
    return { ...timing.sum, wall: add(timing.end, shared(timing.sum.wall, defaultConcurrency)) };
  }

  private block(stmts: readonly Stmt[], start: Amount, ready: Map<string, Amount>): Timing {
    let sum = zero;
    let barrier = start;
    let end = start;
    const run = (expr: Expr): Amount => {
      const timing = this.expr(expr, max(barrier, this.dependencies(expr, ready)));
      sum = addSums(sum, timing.sum);
      end = max(end, timing.end);
      return timing.end;
    };
    // A barrier's expressions run once everything before it is done, one after another; then its wait.
    const pass = (entry: Barrier, wait: Amount): void => {
      let at = max(barrier, end);
      for (const [, expr] of barrierExprs(entry)) {
        const timing = this.expr(expr, max(at, this.dependencies(expr, ready)));
        sum = addSums(sum, timing.sum);
        at = max(at, timing.end);
      }
      barrier = add(at, wait);
      end = max(end, barrier);
    };
    for (const stmt of stmts) {
      switch (stmt.kind) {
        case "let":
          if (stmt.value.kind === "signal") {
            const signal = this.graph.barriers.get(stmt.value.barrier)?.value;
            if (signal !== undefined) pass(signal, waitOf(signal) ?? unbounded("`wait signal` without a constant timeout", stmt.value.span));
            ready.set(stmt.id, barrier);
          } else ready.set(stmt.id, run(stmt.value));
          break;
        case "expr":
          run(stmt.expr);
          break;
        case "return":
          run(stmt.value);
          break;
        case "fail":
          run(stmt.message);
          break;
        case "if": {
          // The condition, calls and all, is decided before either branch starts.
          const decided = run(stmt.cond);
          const then = this.block(stmt.then, decided, ready);
          const otherwise = this.block(stmt.else, decided, ready);
          sum = addSums(sum, maxSums(then.sum, otherwise.sum));
          end = max(end, max(then.end, otherwise.end));
          break;
        }
        case "barrier": {
          const entry = this.graph.barriers.get(stmt.barrier)?.value;
          if (entry !== undefined) pass(entry, waitOf(entry) ?? unbounded(`\`${entry.kind}\` without a constant wait`, entry.span));
          break;
        }
        case "checkpoint":
          break;
      }
    }
    return { sum, end };
  }

  /** When the `let`s an expression reads anywhere in it (nested bodies, lambdas and arguments too) are ready. */
  private dependencies(expr: Expr, ready: ReadonlyMap<string, Amount>): Amount {
    let at: Amount = 0;
    const visitor = {
      expr: (e: Expr): void => {
        if (e.kind === "name" && e.ref.kind === "let") at = max(at, ready.get(e.ref.let) ?? 0);
        if (e.kind === "vertex") this.graph.vertices.get(e.vertex)?.value.args.forEach((a) => walkExpr(a.value, "", topScope, visitor));
      },
      stmt: (s: Stmt): void => {
        if (s.kind !== "barrier") return;
        const entry = this.graph.barriers.get(s.barrier)?.value;
        if (entry !== undefined) for (const [, e] of barrierExprs(entry)) walkExpr(e, "", topScope, visitor);
      },
    };
    walkExpr(expr, "", topScope, visitor);
    return at;
  }

  /** The vertices an expression calls, one after another (arguments first), and the fan-outs in it. */
  private expr(expr: Expr, start: Amount): Timing {
    let sum = zero;
    let end = start;
    const visit = (e: Expr): void => {
      // Lambdas call no vertex (they are pure).
      if (e.kind !== "lambda") for (const child of evaluatedFirst(e, this.graph)) visit(child);
      if (e.kind === "vertex") {
        const vertex = this.graph.vertices.get(e.vertex)?.value;
        if (vertex === undefined) return;
        const figures = this.figures(vertex);
        sum = addSums(sum, figures.run);
        end = add(end, figures.run.wall);
      } else if (e.kind === "for") {
        const fanOut = this.graph.fanOuts.get(e.id)?.value;
        if (fanOut === undefined) return;
        const width = fanOut.bound;
        // An item's times count from its own start, when every `let` outside the fan-out it reads is ready.
        const item = this.block(e.body, 0, new Map());
        sum = addSums(sum, mapSums(item.sum, (a) => times(width, a)));
        const rounds = Math.ceil(width / (e.concurrency ?? width) || 0);
        end = add(end, times(rounds, item.end));
      }
    };
    visit(expr);
    return { sum, end };
  }
}

/** The expressions an expression evaluates before itself: a vertex's arguments, a `for`'s list (its body is a block). */
function evaluatedFirst(e: Expr, graph: WorkflowIndex): readonly Expr[] {
  if (e.kind === "vertex") return graph.vertices.get(e.vertex)?.value.args.map((a) => a.value) ?? [];
  return subExpressions(e);
}

/** How long a barrier waits once its expressions are done: 0 for a `verify`, a constant timeout or duration, else undefined (unbounded). */
function waitOf(barrier: Barrier): number | undefined {
  switch (barrier.kind) {
    case "verify":
      return 0;
    case "approve":
    case "signal":
      return constantDuration(barrier.timeout);
    case "sleep":
      return constantDuration(barrier.duration);
  }
}

/** A constant duration (`timeout 7d`): the quantity's value; anything else bounds nothing. */
export function constantDuration(expr: Expr | null): number | undefined {
  return expr?.kind === "quantity" && expr.dimension === "duration" ? expr.value : undefined;
}

function addSums(a: CostVector, b: CostVector): CostVector {
  return { tokens: add(a.tokens, b.tokens), usd: add(a.usd, b.usd), compute: add(a.compute, b.compute), wall: add(a.wall, b.wall) };
}

function maxSums(a: CostVector, b: CostVector): CostVector {
  return { tokens: max(a.tokens, b.tokens), usd: max(a.usd, b.usd), compute: max(a.compute, b.compute), wall: max(a.wall, b.wall) };
}

function mapSums(a: CostVector, f: (x: Amount) => Amount): CostVector {
  return { tokens: f(a.tokens), usd: f(a.usd), compute: f(a.compute), wall: f(a.wall) };
}
