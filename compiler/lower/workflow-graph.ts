import type * as A from "../../language/ast.ts";
import { subExpressions } from "../../language/sub-expressions.ts";
import type { VertexCost } from "../analyse-budgets.ts";
import type { Tolerate } from "../ir/body.ts";
import { canonicalJson } from "../ir/hash.ts";
import type { Barrier, Edge, FanOut, Let, Source, Vertex } from "../ir/workflow.ts";
import type { Signature } from "../signatures.ts";
import type { BodyLowerer } from "./bodies.ts";
import { constantText } from "./clauses.ts";
import { amount, vector } from "./costs.ts";
import { Ids } from "./ids.ts";

const vertexKind = { NodeDecl: "node", AgentDecl: "agent", VerifierDecl: "verifier", WorkflowDecl: "workflow" } as const;

/**
 * The DAG of one workflow, collected while its body is lowered: a vertex
 * for each call of a unit, an edge for each value an argument reads, a
 * template for each fan-out, and the barriers. Each vertex and barrier
 * records the barrier before it (in its block or an enclosing one) and the
 * fan-out it is in.
 */
export class WorkflowGraph {
  private readonly vertexList: { readonly vertex: Vertex; readonly call: A.CallExpr }[] = [];
  readonly edges: Edge[] = [];
  private readonly fanOutList: FanOut[] = [];
  private readonly barrierList: Barrier[] = [];
  readonly lets: Let[] = [];
  private readonly vertexIds = new Ids();
  private readonly barrierIds = new Ids();
  private readonly vertexOf = new Map<A.CallExpr, string>();
  private readonly signalOf = new Map<A.WaitSignalExpr, string>();
  private readonly fanOutStack: string[] = [];
  private lastBarrier: string | null = null;

  constructor(private readonly costs: ReadonlyMap<A.CallExpr, VertexCost>) {}

  /** In source order: a call's vertex before those in its arguments. */
  get vertices(): Vertex[] {
    return bySpan(this.vertexList.map((v) => v.vertex));
  }

  get calls(): A.CallExpr[] {
    return this.vertexList.map((v) => v.call);
  }

  get fanOuts(): FanOut[] {
    return bySpan(this.fanOutList);
  }

  get barriers(): Barrier[] {
    return bySpan(this.barrierList);
  }

  enterBlock(): { readonly barrier: string | null } {
    return { barrier: this.lastBarrier };
  }

  exitBlock(saved: { readonly barrier: string | null }): void {
    this.lastBarrier = saved.barrier;
  }

  vertex(call: A.CallExpr, decl: A.CallableDecl, signature: Signature, lowerer: BodyLowerer): string {
    const unit = lowerer.context.unitName(decl);
    const id = this.vertexIds.next(unit);
    this.vertexOf.set(call, id);
    const fanOut = this.fanOutStack[this.fanOutStack.length - 1] ?? null;
    const after = this.lastBarrier;
    const args = lowerer.args(call, signature.params).map(({ param, arg }) => {
      const value = lowerer.expr(arg.value);
      const type = lowerer.context.schemas.schemaOf(lowerer.context.types.types.get(arg.value)!);
      for (const from of this.sources([arg.value], lowerer)) this.edges.push({ from, to: id, param, type });
      return { param, value, type };
    });
    const cost = this.costs.get(call);
    // The budget analysis prices every call of a unit in a workflow, wherever it stands.
    if (cost === undefined) throw new Error(`internal: the call of \`${unit}\` at ${call.span.start} has no cost`);
    const path = lowerer.context.path;
    this.vertexList.push({
      call,
      vertex: {
        id,
        unit,
        kind: vertexKind[decl.kind],
        args,
        span: lowerer.span(call.span),
        fanOut,
        after,
        cost: {
          fanOut: [...cost.fanOut],
          multiplier: amount(cost.multiplier, path),
          attempts: cost.attempts,
          perAttempt: vector(cost.perAttempt, path),
          worst: vector(cost.worst, path),
        },
      },
    });
    return id;
  }

  enterFanOut(
    expr: A.ForExpr,
    id: string,
    modifiers: { concurrency: number | null; tolerate: Tolerate | null; limit: number | null },
    lowerer: BodyLowerer,
  ): void {
    const type = lowerer.context.types.types.get(expr.iterable);
    if (type === undefined) throw new Error(`internal: the list of \`for ${expr.binding.name}\` has no type`);
    const listBound = type.kind === "list" && type.bound.kind === "fixed" ? type.bound.max : undefined;
    const bound =
      listBound === undefined ? modifiers.limit : modifiers.limit === null ? listBound : Math.min(listBound, modifiers.limit);
    // FL0401 refuses a workflow fan-out with no bound.
    if (bound === null) throw new Error(`internal: the fan-out \`for ${expr.binding.name}\` has no bound`);
    const parent = this.fanOutStack[this.fanOutStack.length - 1] ?? null;
    const reads = this.sources([expr.iterable], lowerer);
    const list = lowerer.context.schemas.schemaOf(type);
    this.fanOutList.push({ id, binding: expr.binding.name, span: lowerer.span(expr.span), parent, reads, list, bound, ...modifiers });
    this.fanOutStack.push(id);
  }

  exitFanOut(): void {
    this.fanOutStack.pop();
  }

  /** A `let` not bound to one vertex or fan-out, once its value is lowered. */
  let(stmt: A.LetStmt, id: string, lowerer: BodyLowerer): void {
    if (this.boundTo(stmt, lowerer) !== undefined) return;
    const fanOut = this.fanOutStack[this.fanOutStack.length - 1] ?? null;
    this.lets.push({
      id,
      name: stmt.name.name,
      span: lowerer.span(stmt.span),
      fanOut,
      reads: this.sources([stmt.value], lowerer),
    });
  }

  barrierStmt(stmt: A.VerifyStmt | A.ApproveStmt | A.SleepStmt, lowerer: BodyLowerer): string {
    const common = {
      span: lowerer.span(stmt.span),
      fanOut: this.fanOutStack[this.fanOutStack.length - 1] ?? null,
      after: this.lastBarrier,
    };
    // What it reads is found once its expressions are lowered: a call in them is a vertex by then.
    const reads = (): Source[] => this.sources(barrierExprs(stmt), lowerer);
    let barrier: Barrier;
    switch (stmt.kind) {
      case "VerifyStmt": {
        // The check (a verifier's vertex) runs before the barrier it decides.
        const check = lowerer.expr(stmt.check);
        const verifier =
          stmt.check.kind === "CallExpr" && stmt.check.callee.kind === "NameExpr" ? `:${stmt.check.callee.name}` : "";
        barrier = {
          kind: "verify",
          id: this.barrierIds.next(`verify${verifier}`),
          ...common,
          check,
          message: lowerer.expr(stmt.message),
          reads: reads(),
        };
        break;
      }
      case "ApproveStmt": {
        const gate = constantText(stmt.name);
        barrier = {
          kind: "approve",
          id: this.barrierIds.next(`approve:${gate}`),
          ...common,
          gate,
          show: stmt.show === null ? null : lowerer.expr(stmt.show),
          by: stmt.by === null ? null : constantText(stmt.by),
          timeout: stmt.timeout === null ? null : lowerer.expr(stmt.timeout),
          default: stmt.default?.value ?? null,
          reads: reads(),
        };
        break;
      }
      case "SleepStmt":
        barrier = {
          kind: "sleep",
          id: this.barrierIds.next("sleep"),
          ...common,
          duration: lowerer.expr(stmt.duration),
          reads: reads(),
        };
        break;
    }
    return this.pass(barrier);
  }

  signal(expr: A.WaitSignalExpr, lowerer: BodyLowerer): string {
    const signal = constantText(expr.name);
    const type = lowerer.context.schemas.schemaOf(lowerer.context.annotations.typeOf(expr.type, undefined));
    const timeout = expr.timeout === null ? null : lowerer.expr(expr.timeout);
    const common = {
      span: lowerer.span(expr.span),
      fanOut: this.fanOutStack[this.fanOutStack.length - 1] ?? null,
      after: this.lastBarrier,
      reads: this.sources(expr.timeout === null ? [] : [expr.timeout], lowerer),
    };
    const id = this.barrierIds.next(`signal:${signal}`);
    this.signalOf.set(expr, id);
    return this.pass({ kind: "signal", id, ...common, signal, type, timeout });
  }

  /** Records a barrier; what follows it in its block waits for it. */
  private pass(barrier: Barrier): string {
    this.barrierList.push(barrier);
    this.lastBarrier = barrier.id;
    return barrier.id;
  }

  /**
   * What an argument reads, each once: parameters, fan-out items, other
   * vertices (a call in the argument, or a `let` bound to one), fan-outs
   * (a `for` in the argument, or a `let` bound to one) and other `let`s.
   * A lambda's own parameters are not read from anywhere.
   */
  private sources(exprs: readonly A.Expr[], lowerer: BodyLowerer): Source[] {
    const found = new Map<string, Source>();
    const add = (source: Source): void => {
      found.set(canonicalJson(source), source);
    };
    const visit = (e: A.Expr): void => {
      if (e.kind === "CallExpr" && this.vertexOf.has(e)) return add({ kind: "vertex", vertex: this.vertexOf.get(e)! });
      if (e.kind === "ForExpr") return add({ kind: "fanOut", for: lowerer.forId(e) });
      if (e.kind === "WaitSignalExpr" && this.signalOf.has(e)) return add({ kind: "signal", barrier: this.signalOf.get(e)! });
      if (e.kind === "NameExpr") {
        const binding = lowerer.context.names.references.get(e);
        if (binding?.kind === "param") add({ kind: "param", name: e.name });
        else if (binding?.kind === "for") add({ kind: "item", for: lowerer.forId(binding.loop) });
        else if (binding?.kind === "let")
          add(this.boundTo(binding.stmt, lowerer) ?? { kind: "let", let: lowerer.letId(binding.stmt) });
        return;
      }
      subExpressions(e).forEach(visit);
    };
    exprs.forEach(visit);
    return [...found.values()];
  }

  /** The vertex, fan-out or signal a `let` is bound to, when its value is one call, one `for` or one `wait signal`. */
  private boundTo(stmt: A.LetStmt, lowerer: BodyLowerer): Source | undefined {
    const value = stmt.value;
    if (value.kind === "CallExpr" && this.vertexOf.has(value)) return { kind: "vertex", vertex: this.vertexOf.get(value)! };
    if (value.kind === "ForExpr") return { kind: "fanOut", for: lowerer.forId(value) };
    if (value.kind === "WaitSignalExpr" && this.signalOf.has(value))
      return { kind: "signal", barrier: this.signalOf.get(value)! };
    return undefined;
  }
}

function barrierExprs(stmt: A.VerifyStmt | A.ApproveStmt | A.SleepStmt): A.Expr[] {
  switch (stmt.kind) {
    case "VerifyStmt":
      return [stmt.check, stmt.message];
    case "ApproveStmt":
      return [stmt.show, stmt.timeout].filter((e): e is A.Expr => e !== null);
    case "SleepStmt":
      return [stmt.duration];
  }
}

function bySpan<T extends { readonly span: { readonly start: number } }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.span.start - b.span.start);
}
