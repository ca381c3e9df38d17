import type { Block, Expr, Stmt } from "./ast.ts";

/**
 * The expressions directly inside an expression, in source order: what a
 * walker recurses into when it has nothing particular to do with a node.
 * Blocks (a `for`'s body) are statements, not expressions: not included.
 */
export function subExpressions(expr: Expr): readonly Expr[] {
  const found: Expr[] = [];
  forEachSubExpression(expr, (e) => found.push(e));
  return found;
}

/**
 * `subExpressions(expr).forEach(visit)` without the array: the budget
 * analysis walks every expression of every workflow this way, and the
 * arrays alone were a measurable share of its time. Same order.
 */
export function forEachSubExpression(expr: Expr, visit: (e: Expr) => void): void {
  switch (expr.kind) {
    case "StringLit":
      for (const part of expr.parts) if (part.kind === "InterpolationPart") visit(part.expr);
      return;
    case "RecordExpr":
      for (const field of expr.fields) visit(field.value);
      return;
    case "ListExpr":
      for (const item of expr.items) visit(item);
      return;
    case "FieldExpr":
      return visit(expr.object);
    case "CallExpr":
      visit(expr.callee);
      for (const arg of expr.args) visit(arg.value);
      return;
    case "UnaryExpr":
      return visit(expr.operand);
    case "BinaryExpr":
      visit(expr.left);
      return visit(expr.right);
    case "CastExpr":
      return visit(expr.expr);
    case "LambdaExpr":
      return visit(expr.body);
    case "ForExpr":
      visit(expr.iterable);
      if (expr.concurrency !== null) visit(expr.concurrency);
      if (expr.tolerate !== null) visit(expr.tolerate);
      if (expr.limit !== null) visit(expr.limit);
      return;
    case "WaitSignalExpr":
      if (expr.timeout !== null) visit(expr.timeout);
      return;
    case "NumberLit":
    case "QuantityLit":
    case "BoolLit":
    case "NullLit":
    case "NameExpr":
    case "ErrorExpr":
      return;
  }
}

/** What `forEachStatementPart` calls for each part of a statement. */
export interface StatementParts {
  expr(expr: Expr): void;
  block(block: Block): void;
  /** The `if` of an `else if`. */
  stmt(stmt: Stmt): void;
}

/**
 * The expressions and blocks directly inside a statement, in source order,
 * constant strings (an `approve`'s name, a checkpoint's label) included:
 * the statement half of a walk that `forEachSubExpression` does for
 * expressions.
 */
export function forEachStatementPart(stmt: Stmt, visit: StatementParts): void {
  switch (stmt.kind) {
    case "LetStmt":
      return visit.expr(stmt.value);
    case "ExprStmt":
      return visit.expr(stmt.expr);
    case "ReturnStmt":
      return visit.expr(stmt.value);
    case "IfStmt":
      visit.expr(stmt.cond);
      visit.block(stmt.then);
      if (stmt.else?.kind === "Block") visit.block(stmt.else);
      else if (stmt.else !== null) visit.stmt(stmt.else);
      return;
    case "CheckpointStmt":
      return visit.expr(stmt.label);
    case "FailStmt":
      return visit.expr(stmt.message);
    case "VerifyStmt":
      visit.expr(stmt.check);
      return visit.expr(stmt.message);
    case "ApproveStmt":
      visit.expr(stmt.name);
      if (stmt.show !== null) visit.expr(stmt.show);
      if (stmt.by !== null) visit.expr(stmt.by);
      if (stmt.timeout !== null) visit.expr(stmt.timeout);
      return;
    case "SleepStmt":
      return visit.expr(stmt.duration);
  }
}
