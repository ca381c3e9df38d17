import type * as A from "../../language/ast.ts";
import type { Span } from "../../language/source-file.ts";
import type { Expr, Stmt, StringExpr, Tolerate } from "../ir/body.ts";
import type { Span as IrSpan } from "../ir/span.ts";
import type { Module } from "../modules.ts";
import { constantText } from "./clauses.ts";
import type { LowerContext } from "./context.ts";
import { Ids } from "./ids.ts";
import type { WorkflowGraph } from "./workflow-graph.ts";
import * as T from "../types.ts";

/**
 * Lowers the statements and expressions of one declaration (its body and
 * the expressions of its clauses) to the IR's instruction tree: names
 * resolved to what they refer to, arguments bound to parameters, std calls
 * to op ids. In a workflow, `graph` turns calls of units into vertices,
 * `for`s into fan-outs and `verify`, `approve`, `sleep` and `wait signal`
 * into barriers; elsewhere there are none (the effects phase refused them).
 */
export class BodyLowerer {
  private readonly letIds = new Ids();
  private readonly forIds = new Ids();
  private readonly lets = new Map<A.LetStmt, string>();
  private readonly fors = new Map<A.ForExpr, string>();

  constructor(
    readonly context: LowerContext,
    readonly module: Module,
    private readonly graph: WorkflowGraph | null,
  ) {}

  span(span: Span): IrSpan {
    return { file: this.context.path(this.module.path), start: span.start, end: span.end };
  }

  letId(stmt: A.LetStmt): string {
    return this.known(this.lets.get(stmt), "let");
  }

  forId(loop: A.ForExpr): string {
    return this.known(this.fors.get(loop), "for");
  }

  /** Statements of a block; a barrier inside it holds back only what follows in it. */
  block(block: A.Block): Stmt[] {
    const saved = this.graph?.enterBlock();
    const stmts = block.stmts.map((s) => this.stmt(s));
    if (saved !== undefined) this.graph!.exitBlock(saved);
    return stmts;
  }

  stmt(stmt: A.Stmt): Stmt {
    const span = this.span(stmt.span);
    switch (stmt.kind) {
      case "LetStmt": {
        // The id first: `let`s nested in the value (in a `for` body) come after it in the source.
        const id = this.letIds.next(stmt.name.name);
        this.lets.set(stmt, id);
        const type =
          stmt.type === null ? null : this.context.schemas.schemaOf(this.context.annotations.typeOf(stmt.type, undefined));
        const value = this.expr(stmt.value);
        this.graph?.let(stmt, id, this);
        return { kind: "let", span, id, name: stmt.name.name, type, value };
      }
      case "ExprStmt":
        return { kind: "expr", span, expr: this.expr(stmt.expr) };
      case "ReturnStmt":
        return { kind: "return", span, value: this.expr(stmt.value) };
      case "IfStmt": {
        const cond = this.expr(stmt.cond);
        const then = this.block(stmt.then);
        const otherwise =
          stmt.else === null
            ? []
            : stmt.else.kind === "Block"
              ? this.block(stmt.else)
              : this.block({ kind: "Block", stmts: [stmt.else], span: stmt.else.span });
        return { kind: "if", span, cond, then, else: otherwise };
      }
      case "CheckpointStmt":
        return { kind: "checkpoint", span, label: constantText(stmt.label) };
      case "FailStmt":
        return { kind: "fail", span, error: stmt.errorKind.name, message: this.expr(stmt.message) };
      case "VerifyStmt":
      case "ApproveStmt":
      case "SleepStmt":
        return { kind: "barrier", span, barrier: this.workflow(stmt.kind).barrierStmt(stmt, this) };
    }
  }

  expr(expr: A.Expr): Expr {
    const span = this.span(expr.span);
    switch (expr.kind) {
      case "NumberLit":
        return { kind: "number", span, value: expr.value, integer: expr.integer };
      case "QuantityLit":
        return { kind: "quantity", span, dimension: expr.dimension, value: expr.value };
      case "StringLit":
        return this.string(expr);
      case "BoolLit":
        return { kind: "bool", span, value: expr.value };
      case "NullLit":
        return { kind: "null", span };
      case "NameExpr":
        return this.name(expr, span);
      case "RecordExpr":
        return { kind: "record", span, fields: expr.fields.map((f) => ({ name: f.name.name, value: this.expr(f.value) })) };
      case "ListExpr":
        return { kind: "list", span, items: expr.items.map((i) => this.expr(i)) };
      case "FieldExpr":
        return { kind: "field", span, object: this.expr(expr.object), field: expr.field.name };
      case "CallExpr":
        return this.call(expr, span);
      case "UnaryExpr":
        return { kind: "unary", span, op: expr.op, operand: this.expr(expr.operand) };
      case "BinaryExpr": {
        // Whole numbers divide to a whole number (grammar.md §10): the IR says so, since at run time 2.0 and 2 are one number.
        const op = expr.op === "/" && this.isInt(expr.left) && this.isInt(expr.right) ? "div" : expr.op;
        return { kind: "binary", span, op, left: this.expr(expr.left), right: this.expr(expr.right) };
      }
      case "CastExpr":
        return {
          kind: "cast",
          span,
          expr: this.expr(expr.expr),
          from: this.context.schemas.schemaOf(this.context.types.types.get(expr.expr) ?? T.json),
          to: this.context.schemas.schemaOf(this.context.annotations.typeOf(expr.type, undefined)),
        };
      case "LambdaExpr":
        return { kind: "lambda", span, params: expr.params.map((p) => p.name), body: this.expr(expr.body) };
      case "ForExpr":
        return this.forExpr(expr, span);
      case "WaitSignalExpr":
        return { kind: "signal", span, barrier: this.workflow(expr.kind).signal(expr, this) };
      case "ErrorExpr":
        throw new Error("internal: an error expression in a program that checked clean");
    }
  }

  /** A string with its `${…}` parts: a prompt template is one too. */
  string(lit: A.StringLit): StringExpr {
    const parts = lit.parts.map((p) =>
      p.kind === "TextPart"
        ? { kind: "text" as const, value: p.value }
        : { kind: "interpolation" as const, expr: this.expr(p.expr) },
    );
    return { kind: "string", span: this.span(lit.span), parts };
  }

  /** Arguments bound to the callee's parameters by position or name, in source order. */
  args(call: A.CallExpr, params: readonly { readonly name: string }[]): { readonly param: string; readonly arg: A.Arg }[] {
    return call.args.map((arg, i) => ({ param: arg.name?.name ?? params[i]!.name, arg }));
  }

  private name(expr: A.NameExpr, span: IrSpan): Expr {
    const binding = this.context.names.references.get(expr);
    switch (binding?.kind) {
      case "param":
        return { kind: "name", span, name: expr.name, ref: { kind: "param" } };
      case "let":
        return { kind: "name", span, name: expr.name, ref: { kind: "let", let: this.letId(binding.stmt) } };
      case "for":
        return { kind: "name", span, name: expr.name, ref: { kind: "item", for: this.forId(binding.loop) } };
      case "lambda":
        return { kind: "name", span, name: expr.name, ref: { kind: "lambda" } };
      default:
        throw new Error(`internal: \`${expr.name}\` is not a value (${binding?.kind ?? "unresolved"})`);
    }
  }

  private isInt(expr: A.Expr): boolean {
    const type = this.context.types.types.get(expr);
    return type !== undefined && T.widen(type).kind === "primitive" && (T.widen(type) as T.PrimitiveType).name === "int";
  }

  private call(expr: A.CallExpr, span: IrSpan): Expr {
    const call = this.context.types.calls.get(expr);
    if (call === undefined) throw new Error("internal: a call the type checker did not resolve");
    if (call.decl.kind !== "FnDecl")
      return { kind: "vertex", span, vertex: this.workflow("a call of a unit").vertex(expr, call.decl, call.signature, this) };
    const op = this.context.ops.idOf(call.decl);
    return {
      kind: "call",
      span,
      op,
      args: this.args(expr, call.signature.params).map(({ param, arg }) => ({ param, value: this.expr(arg.value) })),
    };
  }

  private forExpr(expr: A.ForExpr, span: IrSpan): Expr {
    const id = this.forIds.next(expr.binding.name);
    this.fors.set(expr, id);
    // The list is computed outside the fan-out: vertices in it run once.
    const over = this.expr(expr.iterable);
    const modifiers = { concurrency: count(expr.concurrency), tolerate: tolerate(expr.tolerate), limit: count(expr.limit) };
    this.graph?.enterFanOut(expr, id, modifiers, this);
    const body = this.block(expr.body);
    this.graph?.exitFanOut();
    return { kind: "for", span, id, binding: expr.binding.name, over, ...modifiers, body };
  }

  private workflow(what: string): WorkflowGraph {
    // The effects phase and the placement rules keep these out of everything but workflow bodies.
    if (this.graph === null) throw new Error(`internal: ${what} outside a workflow body`);
    return this.graph;
  }

  private known(id: string | undefined, what: string): string {
    if (id === undefined) throw new Error(`internal: a ${what} used before it is lowered`);
    return id;
  }
}

/** `concurrency 12`, `limit 30`: constants (FL0223 otherwise). */
function count(expr: A.Expr | null): number | null {
  return expr?.kind === "NumberLit" ? expr.value : null;
}

function tolerate(expr: A.Expr | null): Tolerate | null {
  if (expr === null) return null;
  if (expr.kind === "QuantityLit") return { kind: "share", value: expr.value };
  if (expr.kind === "NumberLit") return { kind: "count", value: expr.value };
  return null;
}
