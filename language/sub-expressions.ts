import type { Expr } from "./ast.ts";

/**
 * The expressions directly inside an expression, in source order: what a
 * walker recurses into when it has nothing particular to do with a node.
 * Blocks (a `for`'s body) are statements, not expressions: not included.
 */
export function subExpressions(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case "StringLit":
      return expr.parts.flatMap((p) => (p.kind === "InterpolationPart" ? [p.expr] : []));
    case "RecordExpr":
      return expr.fields.map((f) => f.value);
    case "ListExpr":
      return expr.items;
    case "FieldExpr":
      return [expr.object];
    case "CallExpr":
      return [expr.callee, ...expr.args.map((a) => a.value)];
    case "UnaryExpr":
      return [expr.operand];
    case "BinaryExpr":
      return [expr.left, expr.right];
    case "CastExpr":
      return [expr.expr];
    case "LambdaExpr":
      return [expr.body];
    case "ForExpr":
      return [expr.iterable, ...[expr.concurrency, expr.tolerate, expr.limit].filter((m): m is Expr => m !== null)];
    case "WaitSignalExpr":
      return expr.timeout === null ? [] : [expr.timeout];
    case "NumberLit":
    case "QuantityLit":
    case "BoolLit":
    case "NullLit":
    case "NameExpr":
    case "ErrorExpr":
      return [];
  }
}
