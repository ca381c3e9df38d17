import type { Expr } from "./body.ts";

/**
 * The expressions directly inside an IR expression, in order: what a walker
 * recurses into. A `for`'s body is a block of statements, not included; a
 * vertex's arguments live on the vertex, not in the expression.
 */
export function subExpressions(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "string":
      return e.parts.flatMap((p) => (p.kind === "interpolation" ? [p.expr] : []));
    case "record":
      return e.fields.map((f) => f.value);
    case "list":
      return e.items;
    case "field":
      return [e.object];
    case "call":
      return e.args.map((a) => a.value);
    case "unary":
      return [e.operand];
    case "binary":
      return [e.left, e.right];
    case "cast":
      return [e.expr];
    case "lambda":
      return [e.body];
    case "for":
      return [e.over];
    case "number":
    case "quantity":
    case "bool":
    case "null":
    case "name":
    case "vertex":
    case "signal":
      return [];
  }
}
