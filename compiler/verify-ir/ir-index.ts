import type { Expr, Stmt } from "../ir/body.ts";
import type { JsonSchema } from "../ir/json-schema.ts";
import type { Ir } from "../ir/schema.ts";
import type { Span } from "../ir/span.ts";
import type { Op, Route, Unit } from "../ir/unit.ts";
import type { Barrier, FanOut, Let, Vertex, Workflow } from "../ir/workflow.ts";
import { pointer, type Problems } from "./problem.ts";
import { barrierExprs } from "./barrier-exprs.ts";
import { topScope, walkExpr, walkStmts, type Scope, type Visitor } from "./walk.ts";

/** An element of the IR and its JSON pointer. */
export interface Located<T> {
  readonly value: T;
  readonly path: string;
}

type LetStmt = Extract<Stmt, { kind: "let" }>;
type ForExpr = Extract<Expr, { kind: "for" }>;

/** A unit or a workflow, as the callee of a vertex. */
export type Callee =
  | { readonly kind: "unit"; readonly unit: Unit; readonly path: string }
  | { readonly kind: "workflow"; readonly workflow: Workflow; readonly path: string };

/** One workflow's elements by id. The first of two with one id is the one indexed (FL0505 reports the second). */
export class WorkflowIndex {
  readonly vertices = new Map<string, Located<Vertex>>();
  readonly fanOuts = new Map<string, Located<FanOut>>();
  readonly lets = new Map<string, Located<Let>>();
  readonly barriers = new Map<string, Located<Barrier>>();
  /** Every `let` of the body, with the `for` around it. */
  readonly letStmts = new Map<string, Located<LetStmt> & { readonly fanOut: string | null }>();
  /** Every `for` of the body, with the one around it. */
  readonly fors = new Map<string, Located<ForExpr> & { readonly parent: string | null }>();

  constructor(
    readonly workflow: Workflow,
    readonly path: string,
  ) {}
}

/**
 * The IR's elements by name and id, built once for every check, and the
 * first check: ids are unique (FL0505). Units and workflows share one
 * namespace (a vertex names its callee); ops, routes, types and sources
 * each have their own; within a workflow, vertices, fan-outs, `let`s and
 * barriers each have theirs.
 */
export class IrIndex {
  readonly units = new Map<string, Located<Unit>>();
  readonly workflows = new Map<string, Located<Workflow>>();
  readonly ops = new Map<string, Located<Op>>();
  readonly routes = new Map<string, Located<Route>>();
  readonly sources = new Set<string>();
  readonly graphs: WorkflowIndex[] = [];
  /** Every `let` of each unit's body, by unit name. */
  readonly unitLets = new Map<string, Set<string>>();

  constructor(
    readonly ir: Ir,
    readonly prefix: string,
  ) {}

  get types(): Readonly<Record<string, JsonSchema>> {
    return this.ir.types;
  }

  /** `/ir/workflows/0`: a pointer into the document verifyIr was given. */
  at(...tokens: readonly (string | number)[]): string {
    return `${this.prefix}${pointer(...tokens)}`;
  }

  callee(name: string): Callee | undefined {
    const unit = this.units.get(name);
    if (unit !== undefined) return { kind: "unit", unit: unit.value, path: unit.path };
    const workflow = this.workflows.get(name);
    if (workflow !== undefined) return { kind: "workflow", workflow: workflow.value, path: workflow.path };
    return undefined;
  }
}

export function indexIr(ir: Ir, prefix: string, problems: Problems): IrIndex {
  const index = new IrIndex(ir, prefix);
  const claim = <T>(map: Map<string, Located<T>>, id: string, value: T, path: string, what: string, span: Span | null): void => {
    const first = map.get(id);
    if (first === undefined) {
      map.set(id, { value, path });
      return;
    }
    problems.add("FL0505", path, span, `${what} \`${id}\` is defined twice: at ${first.path} and here`, "ids are unique: the IR was not produced by `flow compile`, or was edited");
  };

  ir.sources.forEach((s, i) => {
    if (index.sources.has(s.path)) problems.add("FL0505", index.at("sources", i), null, `the source file \`${s.path}\` is listed twice`);
    index.sources.add(s.path);
  });
  ir.ops.forEach((op, i) => claim(index.ops, op.id, op, index.at("ops", i), "the op", null));
  ir.routes.forEach((r, i) => claim(index.routes, r.id, r, index.at("routes", i), "the route", r.span));
  ir.units.forEach((u, i) => claim(index.units, u.name, u, index.at("units", i), `the ${u.kind}`, u.span));
  ir.workflows.forEach((w, i) => {
    const path = index.at("workflows", i);
    if (index.units.has(w.name))
      problems.add("FL0505", path, w.span, `the workflow \`${w.name}\` has the name of a unit (${index.units.get(w.name)!.path}): a vertex calling it would be ambiguous`);
    else claim(index.workflows, w.name, w, path, "the workflow", w.span);
  });

  for (const [i, unit] of ir.units.entries()) {
    const path = index.at("units", i);
    paramsOnce(unit.params, path, unit.name, problems);
    if (unit.kind !== "agent") index.unitLets.set(unit.name, letsOf(unit.body, `${path}/body`, unit.name, problems));
  }

  for (const [i, workflow] of ir.workflows.entries()) {
    const path = index.at("workflows", i);
    const graph = new WorkflowIndex(workflow, path);
    index.graphs.push(graph);
    paramsOnce(workflow.params, path, workflow.name, problems);
    workflow.vertices.forEach((v, j) => claim(graph.vertices, v.id, v, `${path}/vertices/${j}`, `in \`${workflow.name}\`, the vertex`, v.span));
    workflow.fanOuts.forEach((f, j) => claim(graph.fanOuts, f.id, f, `${path}/fanOuts/${j}`, `in \`${workflow.name}\`, the fan-out`, f.span));
    workflow.lets.forEach((l, j) => claim(graph.lets, l.id, l, `${path}/lets/${j}`, `in \`${workflow.name}\`, the let`, l.span));
    workflow.barriers.forEach((b, j) => claim(graph.barriers, b.id, b, `${path}/barriers/${j}`, `in \`${workflow.name}\`, the barrier`, b.span));
    // Through a vertex's arguments and a barrier's expressions where they stand: a `for` or a `let` may be in them.
    const entered = new Set<string>();
    const visitor: Visitor = {
      stmt: (stmt, at, scope) => {
        if (stmt.kind === "barrier") barrierOnce(stmt.barrier, scope);
        if (stmt.kind !== "let") return;
        const fanOut = scope.fors[scope.fors.length - 1] ?? null;
        if (graph.letStmts.has(stmt.id))
          problems.add("FL0505", at, stmt.span, `in \`${workflow.name}\`, two \`let\`s have the id \`${stmt.id}\`: names in the body would be ambiguous`);
        else graph.letStmts.set(stmt.id, { value: stmt, path: String(at), fanOut });
      },
      expr: (expr, at, scope) => {
        if (expr.kind === "vertex") {
          const vertex = graph.vertices.get(expr.vertex);
          if (vertex === undefined || entered.has(`vertex:${expr.vertex}`)) return;
          entered.add(`vertex:${expr.vertex}`);
          vertex.value.args.forEach((a, k) => walkExpr(a.value, `${vertex.path}/args/${k}/value`, scope, visitor));
        }
        if (expr.kind === "signal") barrierOnce(expr.barrier, scope);
        if (expr.kind !== "for") return;
        const parent = scope.fors[scope.fors.length - 1] ?? null;
        if (graph.fors.has(expr.id))
          problems.add("FL0505", at, expr.span, `in \`${workflow.name}\`, two \`for\`s have the id \`${expr.id}\`: their items would be confused`);
        else graph.fors.set(expr.id, { value: expr, path: String(at), parent });
      },
    };
    const barrierOnce = (id: string, scope: Scope): void => {
      const barrier = graph.barriers.get(id);
      if (barrier === undefined || entered.has(`barrier:${id}`)) return;
      entered.add(`barrier:${id}`);
      for (const [key, e] of barrierExprs(barrier.value)) walkExpr(e, `${barrier.path}/${key}`, scope, visitor);
    };
    walkStmts(workflow.body, `${path}/body`, topScope, visitor);
    workflow.vertices.forEach((v, j) => {
      const seen = new Set<string>();
      v.args.forEach((a, k) => {
        if (seen.has(a.param))
          problems.add("FL0505", `${path}/vertices/${j}/args/${k}`, v.span, `the vertex \`${v.id}\` of \`${workflow.name}\` passes \`${a.param}\` twice`);
        seen.add(a.param);
      });
    });
  }
  return index;
}

function paramsOnce(params: readonly { name: string; span: Span }[], path: string, owner: string, problems: Problems): void {
  const seen = new Set<string>();
  params.forEach((p, i) => {
    if (seen.has(p.name)) problems.add("FL0505", `${path}/params/${i}`, p.span, `\`${owner}\` has two parameters named \`${p.name}\``);
    seen.add(p.name);
  });
}

function letsOf(body: readonly Stmt[], path: string, owner: string, problems: Problems): Set<string> {
  const ids = new Set<string>();
  walkStmts(body, path, topScope, {
    stmt: (stmt, at) => {
      if (stmt.kind !== "let") return;
      if (ids.has(stmt.id)) problems.add("FL0505", at, stmt.span, `in \`${owner}\`, two \`let\`s have the id \`${stmt.id}\``);
      ids.add(stmt.id);
    },
  });
  return ids;
}
