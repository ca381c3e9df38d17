import type { Expr, Stmt } from "../../compiler/ir/body.ts";
import type { Span } from "../../compiler/ir/span.ts";
import type { Json } from "../ledger/entry.ts";
import { type Args, type Callable, StdFailure, type Value } from "../../stdlib/runtime/implementation.ts";
import { implementations } from "../../stdlib/runtime/index.ts";
import { convert, type Program } from "./convert.ts";
import { linePlaceOf, placeOf } from "./source-place.ts";
import { jsonEquals, textOf } from "./values.ts";

/**
 * Evaluates the IR's expressions and node bodies. One evaluator serves
 * workflows (where a value may not be ready yet: `NotReady`, or never
 * will be: `Blocked`) and node and verifier bodies (where a step yields
 * to whoever drives the body, the live host or replay, and resumes with
 * the step's value or a `StdFailure` thrown in).
 *
 * Evaluation is deterministic: the same expression in the same scope
 * gives the same value, or the same step requests in the same order, on
 * every machine.
 */

/** A node body asks its driver to run a step, or marks a checkpoint. */
export type Yielded =
  | { readonly kind: "step"; readonly op: string; readonly args: Readonly<Record<string, Json>>; readonly span: Span }
  | { readonly kind: "checkpoint"; readonly label: string; readonly span: Span };

export type Evaluation<T> = Generator<Yielded, T, Json>;

/** Thrown in a workflow when a value is not known yet: the statement waits. */
export class NotReady {
  static readonly signal = new NotReady();
  private constructor() {}
}

/** Thrown in a workflow when a value will never be known, because what it comes from failed or was skipped. */
export class Blocked {
  constructor(readonly because: string) {}
}

/** What a workflow or a body can read. Lambdas' parameters and loop items are the evaluator's own. */
export interface Scope {
  /** The IR's named types, for `as` conversions to them, and its source files, to say where a failure is. */
  readonly ir: Program;
  param(name: string): Json;
  let(id: string): Json;
  item(forId: string): Json;
  /** A call of a unit in a workflow; `frame` is where the call is, for its arguments. */
  vertex(id: string, frame: Frame): Json;
  /** The value of a `wait signal`; `frame` is where it is, for its timeout. */
  signal(barrier: string, frame: Frame): Json;
  /** Told when a value this scope reads is not known, and which scope it belongs to (the scheduler tracks what waits for what). */
  readonly waitsFor?: (owner: Scope) => void;
  /** In a workflow a `for` is a fan-out, evaluated by the scheduler; in a body (no hook), a loop. */
  readonly fanOut?: (expr: Extract<Expr, { kind: "for" }>, frame: Frame) => Json;
}

/** A `let` of a workflow whose value is not known (yet): reading it throws this. */
class Unresolved {
  constructor(
    readonly reason: NotReady | Blocked,
    /** The scope of the frame it was bound in. */
    readonly owner: Scope,
  ) {}
}

/** The values of `let`s, loop items and lambda parameters bound inside a body, innermost last. */
export class Frame {
  /**
   * The first key bound here and its value, then a map once a second key is: many frames (an `if`'s branch, a body
   * without `let`s) bind none, and most that bind one bind only that (a fan-out's item, which `decide` makes a frame
   * for in every item it reads: a map each was a twentieth of what replay allocates).
   */
  private firstKey: string | null = null;
  private firstValue: Json | Unresolved = null;
  private values: Map<string, Json | Unresolved> | null = null;
  constructor(
    readonly scope: Scope,
    private readonly parent: Frame | null = null,
  ) {}
  child(): Frame {
    return new Frame(this.scope, this);
  }
  set(key: string, value: Json): void {
    this.bind(key, value);
  }
  /** Marks a `let` whose value is not known: reading it throws `reason`. */
  unresolved(key: string, reason: NotReady | Blocked): void {
    this.bind(key, new Unresolved(reason, this.scope));
  }
  /** The value bound to `key` here or in a frame around, or `unbound`. */
  lookup(key: string): Json | typeof unbound {
    for (let frame: Frame | null = this; frame !== null; frame = frame.parent) {
      let value: Json | Unresolved | undefined;
      if (frame.values !== null) {
        value = frame.values.get(key);
        if (value === undefined && !frame.values.has(key)) continue;
      } else if (frame.firstKey === key) {
        value = frame.firstValue;
      } else {
        continue;
      }
      if (value instanceof Unresolved) {
        this.scope.waitsFor?.(value.owner);
        throw value.reason;
      }
      return value as Json;
    }
    return unbound;
  }
  private bind(key: string, value: Json | Unresolved): void {
    if (this.values !== null) {
      this.values.set(key, value);
    } else if (this.firstKey === null || this.firstKey === key) {
      this.firstKey = key;
      this.firstValue = value;
    } else {
      this.values = new Map([
        [this.firstKey, this.firstValue],
        [key, value],
      ]);
    }
  }
}

/** What `Frame.lookup` gives for a key no frame binds (what a scope says of the name then is the caller's). */
const unbound: unique symbol = Symbol("unbound");

export function* evaluate(expr: Expr, frame: Frame): Evaluation<Json> {
  switch (expr.kind) {
    case "number":
    case "quantity":
    case "bool":
      return expr.value;
    case "null":
      return null;
    case "string": {
      let text = "";
      for (const part of expr.parts) text += part.kind === "text" ? part.value : textOf(yield* evaluate(part.expr, frame));
      return text;
    }
    case "name":
      return readName(expr, frame);
    case "record": {
      const record: Record<string, Json> = {};
      for (const field of expr.fields) record[field.name] = yield* evaluate(field.value, frame);
      return record;
    }
    case "list": {
      const list: Json[] = [];
      for (const item of expr.items) list.push(yield* evaluate(item, frame));
      return list;
    }
    case "field": {
      const object = yield* evaluate(expr.object, frame);
      if (typeof object !== "object" || object === null || Array.isArray(object)) {
        // Only a `json` value can be something else here: reading a field of it gives null, as a missing field does.
        return null;
      }
      return Object.hasOwn(object, expr.field) ? (object[expr.field] as Json) : null;
    }
    case "call":
      return yield* call(expr, frame);
    case "vertex":
      return frame.scope.vertex(expr.vertex, frame);
    case "signal":
      return frame.scope.signal(expr.barrier, frame);
    case "unary": {
      const operand = yield* evaluate(expr.operand, frame);
      return expr.op === "!" ? !operand : -(operand as number);
    }
    case "binary":
      return yield* binary(expr, frame);
    case "cast":
      return convert(yield* evaluate(expr.expr, frame), expr.from, expr.to, expr.span, frame.scope.ir);
    case "lambda":
      throw new Error("a lambda is only ever a std function's argument");
    case "for":
      if (frame.scope.fanOut !== undefined) return frame.scope.fanOut(expr, frame);
      return yield* loop(expr, frame);
  }
}

function* binary(expr: Extract<Expr, { kind: "binary" }>, frame: Frame): Evaluation<Json> {
  const left = yield* evaluate(expr.left, frame);
  switch (expr.op) {
    case "&&":
      return left === true ? yield* evaluate(expr.right, frame) : false;
    case "||":
      return left === true ? true : yield* evaluate(expr.right, frame);
    case "??":
      return left !== null ? left : yield* evaluate(expr.right, frame);
    default:
      break;
  }
  const right = yield* evaluate(expr.right, frame);
  switch (expr.op) {
    case "==":
      return jsonEquals(left, right);
    case "!=":
      return !jsonEquals(left, right);
    case "<":
      return (left as number | string) < (right as number | string);
    case "<=":
      return (left as number | string) <= (right as number | string);
    case ">":
      return (left as number | string) > (right as number | string);
    case ">=":
      return (left as number | string) >= (right as number | string);
    case "+":
      return (left as number) + (right as number);
    case "-":
      return (left as number) - (right as number);
    case "*":
      return (left as number) * (right as number);
    case "/":
    case "div": {
      if (right === 0) throw new StdFailure("Failed", `division by zero (at ${placeOf(expr.span, frame.scope.ir.sources)})`, true);
      const quotient = (left as number) / (right as number);
      return expr.op === "div" ? Math.trunc(quotient) : quotient;
    }
  }
}

function* call(expr: Extract<Expr, { kind: "call" }>, frame: Frame): Evaluation<Json> {
  const implementation = implementations.get(expr.op);
  if (implementation === undefined) throw new Error(`no implementation of the std op ${expr.op}`);
  if (implementation.kind === "function") {
    const args: Record<string, Value> = {};
    for (const arg of expr.args) {
      args[arg.param] = arg.value.kind === "lambda" ? lambda(arg.value, frame) : yield* evaluate(arg.value, frame);
    }
    try {
      return implementation.call(args as Args);
    } catch (error) {
      throw located(error, expr.span, frame);
    }
  }
  const args: Record<string, Json> = {};
  for (const arg of expr.args) args[arg.param] = yield* evaluate(arg.value, frame);
  // The driver runs the step (or reads its journal) and resumes with its value, or throws its failure in.
  return yield { kind: "step", op: expr.op, args, span: expr.span };
}

/**
 * A std function's failure, with where its call is (`parse: … (at main.flow:7:12)`), as division and `as` say
 * theirs. Only where the IR has line tables (version 2): a ledger recorded before holds these messages without a
 * place, and replays byte for byte. A failure inside a lambda is placed once, at the innermost call.
 */
function located(error: unknown, span: Span, frame: Frame): unknown {
  if (!(error instanceof StdFailure) || error.located) return error;
  const place = linePlaceOf(span, frame.scope.ir.sources);
  return place === null ? error : new StdFailure(error.kind, `${error.message} (at ${place})`, true);
}

/** A flow lambda as a std function calls it: pure, evaluated to completion on the spot. */
function lambda(expr: Extract<Expr, { kind: "lambda" }>, frame: Frame): Callable {
  return (...values: Json[]) => {
    const inner = frame.child();
    expr.params.forEach((name, i) => inner.set(`lambda:${name}`, values[i] ?? null));
    return evaluatePure(expr.body, inner);
  };
}

/** The value a name refers to: a parameter, a `let`, a loop's item or a lambda's parameter. */
function readName(expr: Extract<Expr, { kind: "name" }>, frame: Frame): Json {
  switch (expr.ref.kind) {
    case "param":
      return frame.scope.param(expr.name);
    case "let": {
      const value = frame.lookup(`let:${expr.ref.let}`);
      return value === unbound ? frame.scope.let(expr.ref.let) : value;
    }
    case "item": {
      const value = frame.lookup(`item:${expr.ref.for}`);
      return value === unbound ? frame.scope.item(expr.ref.for) : value;
    }
    case "lambda": {
      const value = frame.lookup(`lambda:${expr.name}`);
      if (value === unbound) throw new Error(`the lambda parameter \`${expr.name}\` is not bound`);
      return value;
    }
  }
}

/**
 * The value of a name or a constant, which takes no evaluating, or
 * `deferred` for any other expression: read without starting a generator
 * (one for every value read would be most of what running a short body
 * costs).
 */
function immediate(expr: Expr, frame: Frame): Json | typeof deferred {
  switch (expr.kind) {
    case "name":
      return readName(expr, frame);
    case "number":
    case "quantity":
    case "bool":
      return expr.value;
    case "null":
      return null;
    default:
      return deferred;
  }
}

const deferred: unique symbol = Symbol("deferred");

/** Evaluates an expression that cannot call a step (verifyIr refuses steps in lambdas, clauses and workflow bodies). */
export function evaluatePure(expr: Expr, frame: Frame): Json {
  // The kinds a workflow reads most (a vertex's result, a name, a constant, a fan-out) without starting a generator.
  switch (expr.kind) {
    case "vertex":
      return frame.scope.vertex(expr.vertex, frame);
    case "for":
      if (frame.scope.fanOut !== undefined) return frame.scope.fanOut(expr, frame);
      break;
    default: {
      const value = immediate(expr, frame);
      if (value !== deferred) return value;
      break;
    }
  }
  const evaluation = evaluate(expr, frame);
  const next = evaluation.next();
  if (!next.done) throw new Error(`a step (${next.value.kind}) where none may be: ${JSON.stringify(next.value.span)}`);
  return next.value;
}

/** A `for` in a body: a sequential loop yielding each item's last expression. */
function* loop(expr: Extract<Expr, { kind: "for" }>, frame: Frame): Evaluation<Json> {
  const over = (yield* evaluate(expr.over, frame)) as Json[];
  const items = expr.limit === null ? over : over.slice(0, expr.limit);
  const results: Json[] = [];
  for (const item of items) {
    const inner = frame.child();
    inner.set(`item:${expr.id}`, item);
    const outcome = yield* execute(expr.body, inner);
    if (outcome.kind === "return") return outcome.value;
    results.push(outcome.last);
  }
  return results;
}

/** How a block ended: it fell off its end (with its last expression statement's value) or returned. */
export type BlockOutcome = { readonly kind: "end"; readonly last: Json } | { readonly kind: "return"; readonly value: Json };

/** Runs a body's statements in order; `fail` throws its failure, a step yields. */
export function* execute(statements: readonly Stmt[], frame: Frame): Evaluation<BlockOutcome> {
  let last: Json = null;
  for (const stmt of statements) {
    switch (stmt.kind) {
      case "let": {
        const value = immediate(stmt.value, frame);
        frame.set(`let:${stmt.id}`, value !== deferred ? value : yield* evaluate(stmt.value, frame));
        break;
      }
      case "expr": {
        const value = immediate(stmt.expr, frame);
        last = value !== deferred ? value : yield* evaluate(stmt.expr, frame);
        break;
      }
      case "return": {
        const value = immediate(stmt.value, frame);
        return { kind: "return", value: value !== deferred ? value : yield* evaluate(stmt.value, frame) };
      }
      case "if": {
        const cond = immediate(stmt.cond, frame);
        const branch = (cond !== deferred ? cond : yield* evaluate(stmt.cond, frame)) === true ? stmt.then : stmt.else;
        const outcome = yield* execute(branch, frame.child());
        if (outcome.kind === "return") return outcome;
        break;
      }
      case "checkpoint":
        yield { kind: "checkpoint", label: stmt.label, span: stmt.span };
        break;
      case "fail":
        throw new StdFailure(stmt.error, textOf(yield* evaluate(stmt.message, frame)));
      case "barrier":
        throw new Error("a barrier in a node body");
    }
  }
  return { kind: "end", last };
}
