import type { Expr } from "../ir/body.ts";
import type { Source } from "../ir/workflow.ts";
import type { WorkflowIndex } from "./ir-index.ts";
import { sourceKey } from "./sources.ts";

/**
 * What a workflow's expressions read, each once, recomputed from the
 * body: a vertex (the value of a call), a fan-out's list (a `for`), a
 * signal, a parameter, a fan-out's item, and a `let`, or what that `let`
 * is bound to when its value is one call, one `for` or one signal. A
 * vertex's arguments, a `for`'s body and a lambda's parameters are not
 * read by the expression around them.
 */
export function readSources(exprs: readonly Expr[], graph: WorkflowIndex): Map<string, Source> {
  const found = new Map<string, Source>();
  const add = (source: Source): void => {
    found.set(sourceKey(source), source);
  };
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case "vertex":
        return add({ kind: "vertex", vertex: e.vertex });
      case "for":
        return add({ kind: "fanOut", for: e.id });
      case "signal":
        return add({ kind: "signal", barrier: e.barrier });
      case "name":
        if (e.ref.kind === "param") add({ kind: "param", name: e.name });
        else if (e.ref.kind === "item") add({ kind: "item", for: e.ref.for });
        else if (e.ref.kind === "let") {
          const stmt = graph.letStmts.get(e.ref.let)?.value;
          add((stmt === undefined ? undefined : boundTo(stmt.value)) ?? { kind: "let", let: e.ref.let });
        }
        return;
      case "string":
        for (const p of e.parts) if (p.kind === "interpolation") visit(p.expr);
        return;
      case "record":
        for (const f of e.fields) visit(f.value);
        return;
      case "list":
        e.items.forEach(visit);
        return;
      case "field":
        return visit(e.object);
      case "call":
        for (const a of e.args) visit(a.value);
        return;
      case "unary":
        return visit(e.operand);
      case "binary":
        visit(e.left);
        return visit(e.right);
      case "cast":
        return visit(e.expr);
      case "lambda":
        return visit(e.body);
      case "number":
      case "quantity":
      case "bool":
      case "null":
        return;
    }
  };
  exprs.forEach(visit);
  return found;
}

/** What a `let` stands for when its value is one call, one `for` or one signal: that vertex, fan-out or signal. */
export function boundTo(value: Expr): Source | undefined {
  if (value.kind === "vertex") return { kind: "vertex", vertex: value.vertex };
  if (value.kind === "for") return { kind: "fanOut", for: value.id };
  if (value.kind === "signal") return { kind: "signal", barrier: value.barrier };
  return undefined;
}
