import type { Expr, Stmt } from "../ir/body.ts";

/**
 * A JSON pointer, made a string only when a problem is reported there:
 * walking a large IR builds one for every expression, and joining them all
 * eagerly took as long as the checks.
 */
export class Pointer {
  private text: string | undefined;

  constructor(
    private readonly parent: Path,
    private readonly token: string | number,
  ) {}

  toString(): string {
    this.text ??= `${String(this.parent)}/${String(this.token).replace(/~/g, "~0").replace(/\//g, "~1")}`;
    return this.text;
  }
}

/** Where an element is in the document: a pointer written out, or one to write out when needed. */
export type Path = string | Pointer;

function child(path: Path, ...tokens: readonly (string | number)[]): Path {
  let at = path;
  for (const token of tokens) at = new Pointer(at, token);
  return at;
}

/** Where an expression or statement stands: the `for`s around it (innermost last) and whether it is in a lambda. */
export interface Scope {
  readonly fors: readonly string[];
  readonly lambda: boolean;
}

export const topScope: Scope = { fors: [], lambda: false };

export interface Visitor {
  /** Called before an expression's children; `false` skips them. */
  readonly expr?: (expr: Expr, path: Path, scope: Scope) => boolean | void;
  /** Called before a statement's children; `false` skips them. */
  readonly stmt?: (stmt: Stmt, path: Path, scope: Scope) => boolean | void;
  /** Called after a statement's children: a workflow barrier is passed once its expressions are. */
  readonly stmtDone?: (stmt: Stmt, path: Path, scope: Scope) => void;
  /** Around each block (`if` branches, `for` bodies): what a barrier in a block holds back ends with it. */
  readonly enterBlock?: () => unknown;
  readonly exitBlock?: (saved: unknown) => void;
}

/**
 * Walks an instruction tree in source order, as it was lowered: an
 * expression before its children, a `for`'s list before its body. A
 * vertex's arguments are not in the tree (they are in the workflow's
 * `vertices`); checks that follow them do so themselves.
 */
export function walkStmts(stmts: readonly Stmt[], path: Path, scope: Scope, visitor: Visitor): void {
  stmts.forEach((stmt, i) => walkStmt(stmt, child(path, i), scope, visitor));
}

export function walkBlock(stmts: readonly Stmt[], path: Path, scope: Scope, visitor: Visitor): void {
  const saved = visitor.enterBlock?.();
  walkStmts(stmts, path, scope, visitor);
  visitor.exitBlock?.(saved);
}

export function walkStmt(stmt: Stmt, path: Path, scope: Scope, visitor: Visitor): void {
  if (visitor.stmt?.(stmt, path, scope) === false) return;
  switch (stmt.kind) {
    case "let":
      walkExpr(stmt.value, child(path, "value"), scope, visitor);
      break;
    case "expr":
      walkExpr(stmt.expr, child(path, "expr"), scope, visitor);
      break;
    case "return":
      walkExpr(stmt.value, child(path, "value"), scope, visitor);
      break;
    case "if":
      walkExpr(stmt.cond, child(path, "cond"), scope, visitor);
      walkBlock(stmt.then, child(path, "then"), scope, visitor);
      walkBlock(stmt.else, child(path, "else"), scope, visitor);
      break;
    case "fail":
      walkExpr(stmt.message, child(path, "message"), scope, visitor);
      break;
    case "checkpoint":
    case "barrier":
      break;
  }
  visitor.stmtDone?.(stmt, path, scope);
}

export function walkExpr(expr: Expr, path: Path, scope: Scope, visitor: Visitor): void {
  if (visitor.expr?.(expr, path, scope) === false) return;
  for (const [child, at, inner] of children(expr, path, scope)) {
    if (Array.isArray(child)) walkBlock(child as Stmt[], at, inner, visitor);
    else walkExpr(child as Expr, at, inner, visitor);
  }
}

/** An expression's children in source order: expressions, and a `for`'s body (statements). */
function children(expr: Expr, path: Path, scope: Scope): [Expr | readonly Stmt[], Path, Scope][] {
  switch (expr.kind) {
    case "string":
      return expr.parts.flatMap((p, i) => (p.kind === "interpolation" ? [[p.expr, child(path, "parts", i, "expr"), scope] as [Expr, Path, Scope]] : []));
    case "record":
      return expr.fields.map((f, i) => [f.value, child(path, "fields", i, "value"), scope]);
    case "list":
      return expr.items.map((item, i) => [item, child(path, "items", i), scope]);
    case "field":
      return [[expr.object, child(path, "object"), scope]];
    case "call":
      return expr.args.map((a, i) => [a.value, child(path, "args", i, "value"), scope]);
    case "unary":
      return [[expr.operand, child(path, "operand"), scope]];
    case "binary":
      return [
        [expr.left, child(path, "left"), scope],
        [expr.right, child(path, "right"), scope],
      ];
    case "cast":
      return [[expr.expr, child(path, "expr"), scope]];
    case "lambda":
      return [[expr.body, child(path, "body"), { ...scope, lambda: true }]];
    case "for":
      return [
        [expr.over, child(path, "over"), scope],
        [expr.body, child(path, "body"), { ...scope, fors: [...scope.fors, expr.id] }],
      ];
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
