import type { Expr, Stmt } from "../ir/body.ts";
import type { Workflow } from "../ir/workflow.ts";
import { barrierExprs } from "./barrier-exprs.ts";

/** No path proven not null. */
export const none: ReadonlySet<string> = new Set();

/**
 * Where a workflow's body has proven a value not null, by the checker's
 * rules of narrowing (check-types.ts, grammar.md §10): in the `then` of
 * `if x != null`, the `else` of `if x == null`, right of `x != null &&`
 * and of `x == null ||`, under `!` the other way round, and below an `if`
 * whose branch where it may be null always ends in `return` or `fail`.
 * The IR keeps no trace of it, and without it `return r.score` in the
 * `then` of `if r.score != null` is derived as `float?` (derive-type.ts):
 * a program the checker passed would be refused (FL0507). An `else`
 * holding one `if` is read as an `else if` (the IR does not tell them
 * apart), which narrows below a little more than the checker does for an
 * `else { if … }`: leniency in a corner, never a refusal of what it passed.
 */
export class Narrowing {
  /** The paths not null at each vertex call (`vertex:ID`), fan-out (`for:ID`) and `return` statement. */
  private readonly at = new Map<unknown, ReadonlySet<string>>();

  constructor(private readonly workflow: Workflow) {
    this.block(workflow.body, none);
  }

  /** The paths proven not null where the vertex `id` is called. */
  vertex(id: string): ReadonlySet<string> {
    return this.at.get(`vertex:${id}`) ?? none;
  }

  /** The paths proven not null where the fan-out `id` takes its list. */
  fanOut(id: string): ReadonlySet<string> {
    return this.at.get(`for:${id}`) ?? none;
  }

  /** The paths proven not null at a `return` of the workflow's body. */
  return(stmt: Stmt): ReadonlySet<string> {
    return this.at.get(stmt) ?? none;
  }

  private block(stmts: readonly Stmt[], narrowed: ReadonlySet<string>): void {
    const local = new Set(narrowed);
    for (const stmt of stmts) {
      if (stmt.kind === "if") for (const path of this.ifStmt(stmt, local)) local.add(path);
      else this.stmt(stmt, local);
    }
  }

  private stmt(stmt: Stmt, narrowed: ReadonlySet<string>): void {
    switch (stmt.kind) {
      case "let":
        return this.expr(stmt.value, narrowed);
      case "expr":
        return this.expr(stmt.expr, narrowed);
      case "return":
        this.at.set(stmt, narrowed);
        return this.expr(stmt.value, narrowed);
      case "fail":
        return this.expr(stmt.message, narrowed);
      case "if":
        this.ifStmt(stmt, narrowed);
        return;
      case "barrier": {
        const barrier = this.workflow.barriers.find((b) => b.id === stmt.barrier);
        if (barrier !== undefined) for (const [, e] of barrierExprs(barrier)) this.expr(e, narrowed);
        return;
      }
      case "checkpoint":
        return;
    }
  }

  /** Walks an `if` (and its `else if`s); returns the paths it proves not null below it. */
  private ifStmt(stmt: Stmt & { kind: "if" }, narrowed: ReadonlySet<string>): string[] {
    this.expr(stmt.cond, narrowed);
    const { whenTrue, whenFalse } = nullChecks(stmt.cond);
    this.block(stmt.then, union(narrowed, whenTrue));
    const elseIf = stmt.else.length === 1 && stmt.else[0]!.kind === "if" ? stmt.else[0]! : undefined;
    let below: string[] = [];
    if (elseIf !== undefined && elseIf.kind === "if") below = this.ifStmt(elseIf, union(narrowed, whenFalse));
    else this.block(stmt.else, union(narrowed, whenFalse));
    const proven: string[] = [];
    if (alwaysExits(stmt.then)) proven.push(...whenFalse, ...below);
    if (stmt.else.length > 0 && alwaysExits(stmt.else)) proven.push(...whenTrue);
    return proven;
  }

  private expr(e: Expr, narrowed: ReadonlySet<string>): void {
    const again = (inner: Expr) => this.expr(inner, narrowed);
    switch (e.kind) {
      case "vertex":
        this.at.set(`vertex:${e.vertex}`, narrowed);
        return;
      case "for":
        this.at.set(`for:${e.id}`, narrowed);
        again(e.over);
        return this.block(e.body, narrowed);
      case "binary": {
        again(e.left);
        if (e.op !== "&&" && e.op !== "||") return again(e.right);
        const { whenTrue, whenFalse } = nullChecks(e.left);
        return this.expr(e.right, union(narrowed, e.op === "&&" ? whenTrue : whenFalse));
      }
      case "unary":
        return again(e.operand);
      case "field":
        return again(e.object);
      case "cast":
        return again(e.expr);
      case "record":
        for (const field of e.fields) again(field.value);
        return;
      case "list":
        for (const item of e.items) again(item);
        return;
      case "call":
        for (const arg of e.args) again(arg.value);
        return;
      case "string":
        for (const part of e.parts) if (part.kind === "interpolation") again(part.expr);
        return;
      // A lambda is pure (no vertex in it), and the rest have no expressions inside.
      default:
        return;
    }
  }
}

/** `a.verdict.credential` as a key for narrowing, rooted at what `a` is bound to; undefined for anything else. */
export function pathOf(e: Expr): string | undefined {
  if (e.kind === "name") {
    switch (e.ref.kind) {
      case "param":
        return `param:${e.name}`;
      case "let":
        return `let:${e.ref.let}`;
      case "item":
        return `item:${e.ref.for}`;
      case "lambda":
        return undefined;
    }
  }
  if (e.kind === "field") {
    const base = pathOf(e.object);
    return base === undefined ? undefined : `${base}.${e.field}`;
  }
  return undefined;
}

/** The paths a condition proves not null when it is true, and when it is false. */
function nullChecks(cond: Expr): { whenTrue: string[]; whenFalse: string[] } {
  if (cond.kind === "unary" && cond.op === "!") {
    const inner = nullChecks(cond.operand);
    return { whenTrue: inner.whenFalse, whenFalse: inner.whenTrue };
  }
  if (cond.kind !== "binary") return { whenTrue: [], whenFalse: [] };
  if (cond.op === "&&") return { whenTrue: [...nullChecks(cond.left).whenTrue, ...nullChecks(cond.right).whenTrue], whenFalse: [] };
  if (cond.op === "||") return { whenTrue: [], whenFalse: [...nullChecks(cond.left).whenFalse, ...nullChecks(cond.right).whenFalse] };
  if (cond.op !== "==" && cond.op !== "!=") return { whenTrue: [], whenFalse: [] };
  const subject = cond.right.kind === "null" ? cond.left : cond.left.kind === "null" ? cond.right : undefined;
  const path = subject === undefined ? undefined : pathOf(subject);
  if (path === undefined) return { whenTrue: [], whenFalse: [] };
  return cond.op === "!=" ? { whenTrue: [path], whenFalse: [] } : { whenTrue: [], whenFalse: [path] };
}

function alwaysExits(stmts: readonly Stmt[]): boolean {
  const last = stmts[stmts.length - 1];
  if (last === undefined) return false;
  if (last.kind === "return" || last.kind === "fail") return true;
  return last.kind === "if" && last.else.length > 0 && alwaysExits(last.then) && alwaysExits(last.else);
}

function union(set: ReadonlySet<string>, paths: readonly string[]): ReadonlySet<string> {
  return paths.length === 0 ? set : new Set([...set, ...paths]);
}
