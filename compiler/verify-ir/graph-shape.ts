import type { Expr } from "../ir/body.ts";
import { canonicalJson } from "../ir/hash.ts";
import type { Source } from "../ir/workflow.ts";
import type { IrIndex, WorkflowIndex } from "./ir-index.ts";
import type { Problems } from "./problem.ts";
import { boundTo, readSources } from "./read-sources.ts";
import { barrierExprs } from "./barrier-exprs.ts";
import { sameJson } from "./same-json.ts";
import { describeSource, sourceKey } from "./sources.ts";
import { topScope, walkExpr, walkStmts, type Scope, type Visitor } from "./walk.ts";

/**
 * FL0517: a workflow's graph is its body's. The interpreter schedules
 * from the graph (vertices, edges, fan-outs, barriers) and evaluates the
 * body, so the two must say the same thing: every vertex is called once
 * in the body (or in another vertex's arguments, or a barrier's
 * expressions), in the fan-out and after the barrier the graph says;
 * every barrier and signal is passed once, where the graph says; each
 * `for` has its template, with the same modifiers and parent; `lets` are
 * exactly the `let`s not bound to one vertex, fan-out or signal; and
 * edges and every `reads` are what the expressions read (read-sources.ts).
 */
export function checkGraphShape(index: IrIndex, problems: Problems): void {
  for (const graph of index.graphs) new GraphShape(graph, problems).check();
}

interface Seen {
  count: number;
  fanOut: string | null;
  after: string | null;
}

class GraphShape {
  private readonly vertices = new Map<string, Seen>();
  private readonly barriers = new Map<string, Seen>();
  private lastBarrier: string | null = null;
  private readonly where: string;

  constructor(
    private readonly graph: WorkflowIndex,
    private readonly problems: Problems,
  ) {
    this.where = `in \`${graph.workflow.name}\``;
  }

  check(): void {
    const { workflow, path } = this.graph;
    if (workflow.timeout !== null) walkExpr(workflow.timeout, `${path}/timeout`, topScope, this.visitor);
    walkStmts(workflow.body, `${path}/body`, topScope, this.visitor);
    this.placements();
    this.templates();
    this.lets();
    this.reads();
  }

  private readonly visitor: Visitor = {
    enterBlock: () => this.lastBarrier,
    exitBlock: (saved) => {
      this.lastBarrier = saved as string | null;
    },
    expr: (expr, _at, scope) => {
      if (expr.kind === "vertex") {
        this.meet(this.vertices, expr.vertex, scope);
        // Its arguments are lowered after it, where it stands.
        const vertex = this.graph.vertices.get(expr.vertex);
        if (vertex !== undefined && this.vertices.get(expr.vertex)!.count === 1)
          vertex.value.args.forEach((a, k) => walkExpr(a.value, `${vertex.path}/args/${k}/value`, scope, this.visitor));
      } else if (expr.kind === "signal") {
        const barrier = this.graph.barriers.get(expr.barrier);
        if (barrier !== undefined) for (const [key, e] of barrierExprs(barrier.value)) walkExpr(e, `${barrier.path}/${key}`, scope, this.visitor);
        this.meet(this.barriers, expr.barrier, scope);
        this.lastBarrier = expr.barrier;
      }
    },
    stmt: (stmt, _at, scope) => {
      if (stmt.kind !== "barrier") return;
      const barrier = this.graph.barriers.get(stmt.barrier);
      if (barrier !== undefined) for (const [key, e] of barrierExprs(barrier.value)) walkExpr(e, `${barrier.path}/${key}`, scope, this.visitor);
      this.meet(this.barriers, stmt.barrier, scope);
      this.lastBarrier = stmt.barrier;
    },
  };

  private meet(map: Map<string, Seen>, id: string, scope: Scope): void {
    const seen = map.get(id);
    if (seen !== undefined) seen.count++;
    else map.set(id, { count: 1, fanOut: scope.fors[scope.fors.length - 1] ?? null, after: this.lastBarrier });
  }

  private placements(): void {
    const { workflow, path } = this.graph;
    const place = (what: string, id: string, at: string, span: import("../ir/span.ts").Span, recorded: { fanOut: string | null; after: string | null }, seen: Seen | undefined, verb: string) => {
      if (seen === undefined) {
        this.problems.add("FL0517", at, span, `${this.where}, ${what} \`${id}\` is never ${verb} in the body`);
        return;
      }
      if (seen.count > 1) this.problems.add("FL0517", at, span, `${this.where}, ${what} \`${id}\` is ${verb} ${seen.count} times in the body, and an id names one place`);
      if (seen.fanOut !== recorded.fanOut)
        this.problems.add("FL0517", `${at}/fanOut`, span, `${this.where}, ${what} \`${id}\` is recorded in ${show(recorded.fanOut, "the fan-out")}, and the body has it in ${show(seen.fanOut, "the fan-out")}`);
      if (seen.after !== recorded.after)
        this.problems.add("FL0517", `${at}/after`, span, `${this.where}, ${what} \`${id}\` is recorded after ${show(recorded.after, "the barrier")}, and in the body it follows ${show(seen.after, "the barrier")}`);
    };
    workflow.vertices.forEach((v, j) => place("the vertex", v.id, `${path}/vertices/${j}`, v.span, v, this.vertices.get(v.id), "called"));
    workflow.barriers.forEach((b, j) => place(b.kind === "signal" ? "the signal" : "the barrier", b.id, `${path}/barriers/${j}`, b.span, b, this.barriers.get(b.id), "passed"));
  }

  private templates(): void {
    const { workflow, path } = this.graph;
    workflow.fanOuts.forEach((f, j) => {
      const at = `${path}/fanOuts/${j}`;
      const loop = this.graph.fors.get(f.id);
      if (loop === undefined) {
        this.problems.add("FL0517", at, f.span, `${this.where}, the fan-out \`${f.id}\` has no \`for\` in the body`);
        return;
      }
      const differs = (["binding", "concurrency", "tolerate", "limit"] as const).filter((key) => !sameJson(f[key], loop.value[key]));
      for (const key of differs)
        this.problems.add("FL0517", `${at}/${key}`, f.span, `${this.where}, the fan-out \`${f.id}\` records \`${key}\` ${canonicalJson(f[key])}, and its \`for\` has ${canonicalJson(loop.value[key])}`);
      if (loop.parent !== f.parent)
        this.problems.add("FL0517", `${at}/parent`, f.span, `${this.where}, the fan-out \`${f.id}\` is recorded in ${show(f.parent, "the fan-out")}, and its \`for\` is in ${show(loop.parent, "the fan-out")}`);
    });
  }

  private lets(): void {
    const { workflow, path } = this.graph;
    for (const [id, stmt] of this.graph.letStmts) {
      const entry = this.graph.lets.get(id);
      const bound = boundTo(stmt.value.value) !== undefined;
      if (!bound && entry === undefined)
        this.problems.add("FL0517", stmt.path, stmt.value.span, `${this.where}, \`let ${stmt.value.name}\` computes a value from others, and \`lets\` does not record it`);
      if (bound && entry !== undefined)
        this.problems.add("FL0517", entry.path, entry.value.span, `${this.where}, \`let ${stmt.value.name}\` is one call, \`for\` or signal, and is recorded in \`lets\` as well`);
      if (entry !== undefined && entry.value.fanOut !== stmt.fanOut)
        this.problems.add("FL0517", `${entry.path}/fanOut`, entry.value.span, `${this.where}, the let \`${id}\` is recorded in ${show(entry.value.fanOut, "the fan-out")}, and the body has it in ${show(stmt.fanOut, "the fan-out")}`);
    }
    workflow.lets.forEach((l, j) => {
      if (!this.graph.letStmts.has(l.id)) this.problems.add("FL0517", `${path}/lets/${j}`, l.span, `${this.where}, the let \`${l.id}\` has no \`let\` in the body`);
    });
  }

  private reads(): void {
    const { workflow, path } = this.graph;
    // Edges: what each argument reads, against what the edges say.
    const expected = new Map<string, { readonly source: Source; readonly vertex: string; readonly param: string; readonly at: string }>();
    workflow.vertices.forEach((v, j) =>
      v.args.forEach((a, k) => {
        for (const [key, source] of readSources([a.value], this.graph))
          expected.set(`${key} ${v.id} ${a.param}`, { source, vertex: v.id, param: a.param, at: `${path}/vertices/${j}/args/${k}` });
      }),
    );
    const recorded = new Set<string>();
    workflow.edges.forEach((e, j) => {
      const key = `${sourceKey(e.from)} ${e.to} ${e.param}`;
      if (recorded.has(key)) this.problems.add("FL0517", `${path}/edges/${j}`, this.spanOf(e.to), `${this.where}, the edge from ${describeSource(e.from)} into \`${e.to}\`'s \`${e.param}\` is recorded twice`);
      recorded.add(key);
      if (!expected.has(key))
        this.problems.add(
          "FL0517",
          `${path}/edges/${j}`,
          this.spanOf(e.to),
          `${this.where}, an edge says \`${e.to}\`'s \`${e.param}\` reads ${describeSource(e.from)}, and the argument does not`,
          "an edge records what an argument's expression reads; a dependency no argument has would hold the vertex back for nothing, or close a cycle",
        );
    });
    for (const [key, { source, vertex, param, at }] of expected)
      if (!recorded.has(key))
        this.problems.add("FL0517", at, this.spanOf(vertex), `${this.where}, the argument \`${param}\` of \`${vertex}\` reads ${describeSource(source)}, and no edge says so`);

    const compare = (what: string, at: string, span: import("../ir/span.ts").Span, reads: readonly Source[], exprs: readonly Expr[]) => {
      const actual = readSources(exprs, this.graph);
      const listed = new Set(reads.map(sourceKey));
      for (const [key, source] of actual)
        if (!listed.has(key)) this.problems.add("FL0517", `${at}/reads`, span, `${this.where}, ${what} reads ${describeSource(source)}, and its \`reads\` does not say so`);
      reads.forEach((source, k) => {
        if (!actual.has(sourceKey(source))) this.problems.add("FL0517", `${at}/reads/${k}`, span, `${this.where}, ${what} is recorded as reading ${describeSource(source)}, and it does not`);
      });
    };
    workflow.fanOuts.forEach((f, j) => {
      const loop = this.graph.fors.get(f.id);
      if (loop !== undefined) compare(`the list of the fan-out \`${f.id}\``, `${path}/fanOuts/${j}`, f.span, f.reads, [loop.value.over]);
    });
    workflow.lets.forEach((l, j) => {
      const stmt = this.graph.letStmts.get(l.id);
      if (stmt !== undefined) compare(`the let \`${l.id}\``, `${path}/lets/${j}`, l.span, l.reads, [stmt.value.value]);
    });
    workflow.barriers.forEach((b, j) => compare(`the barrier \`${b.id}\``, `${path}/barriers/${j}`, b.span, b.reads, barrierExprs(b).map(([, e]) => e)));
  }

  private spanOf(vertex: string): import("../ir/span.ts").Span | null {
    return this.graph.vertices.get(vertex)?.value.span ?? null;
  }
}

function show(id: string | null, what: string): string {
  return id === null ? `no ${what.replace(/^the /, "")}` : `${what} \`${id}\``;
}
