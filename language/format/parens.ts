import type { BinaryOp, Expr, TypeExpr, UnaryOp } from "../ast.ts";
import { associativity, binaryPrecedence, castPrecedence, postfixPrecedence, prefixPrecedence } from "../operators.ts";

/** Where an expression stands relative to its parent, as far as parentheses are concerned. */
export type ExprPosition =
  /** A whole expression: an argument, a field or list item, a statement's value, a lambda body… */
  | { readonly kind: "top" }
  | { readonly kind: "binary"; readonly op: BinaryOp; readonly side: "left" | "right" }
  | { readonly kind: "prefix"; readonly op: UnaryOp }
  /** The operand of `as`. */
  | { readonly kind: "cast" }
  /** A callee or the object of a field access. */
  | { readonly kind: "postfix" };

export const top: ExprPosition = { kind: "top" };

/** Tighter than any operator: literals, names, records, lists, strings. */
const atomPrecedence = postfixPrecedence + 1;

/**
 * Lambdas, `for` and `wait signal` extend as far to the right as they can
 * (a body, a block, a trailing `timeout`), so they bind looser than every
 * operator and are parenthesized wherever an operator surrounds them.
 */
const openEndedPrecedence = 0;

export function precedenceOf(expr: Expr): number {
  switch (expr.kind) {
    case "LambdaExpr":
    case "ForExpr":
    case "WaitSignalExpr":
      return openEndedPrecedence;
    case "BinaryExpr":
      return binaryPrecedence[expr.op];
    case "CastExpr":
      return castPrecedence;
    case "UnaryExpr":
      return prefixPrecedence;
    case "CallExpr":
    case "FieldExpr":
      return postfixPrecedence;
    case "NumberLit":
    case "QuantityLit":
    case "StringLit":
    case "BoolLit":
    case "NullLit":
    case "NameExpr":
    case "RecordExpr":
    case "ListExpr":
    case "ErrorExpr":
      return atomPrecedence;
    default: {
      const unreachable: never = expr;
      throw new Error(`unknown expression kind ${(unreachable as Expr).kind}`);
    }
  }
}

/** `- -x` would read as a decrement to people if not to the lexer: always `-(-x)`. */
function startsWithMinus(expr: Expr): boolean {
  switch (expr.kind) {
    case "UnaryExpr":
      return expr.op === "-";
    case "NumberLit":
    case "QuantityLit":
      return expr.raw.startsWith("-");
    default:
      return false;
  }
}

/** Whether `expr` needs parentheses at `position` to parse back to the same tree. */
export function needsParens(expr: Expr, position: ExprPosition): boolean {
  const own = precedenceOf(expr);
  switch (position.kind) {
    case "top":
      return false;
    case "binary": {
      const parent = binaryPrecedence[position.op];
      // `x as List < y` would read `List<` as the start of type arguments.
      if (position.op === "<" && position.side === "left" && endsWithBareTypeName(expr)) return true;
      if (own !== parent) return own < parent;
      // Same level: only the side the operator associates towards is free.
      const assoc = associativity(position.op);
      return position.side === "left" ? assoc !== "left" : assoc !== "right";
    }
    case "prefix":
      return own < prefixPrecedence || (position.op === "-" && startsWithMinus(expr));
    case "cast":
      return own < castPrecedence;
    case "postfix":
      return own < postfixPrecedence;
    default: {
      const unreachable: never = position;
      throw new Error(`unknown position ${(unreachable as ExprPosition).kind}`);
    }
  }
}

/**
 * Whether the type's text ends with a name that a following `<` would
 * extend: `List<` opens type arguments, and `Name<a>` or `Name<a,` after a
 * capitalised name is reported as a misused generic.
 */
function typeEndsWithName(type: TypeExpr): boolean {
  switch (type.kind) {
    case "NamedType":
      return type.name.name === "List" || /^[A-Z]/.test(type.name.name);
    case "UnionType": {
      // A member that is a union or a function type is printed in parentheses.
      const last = type.members[type.members.length - 1];
      return last !== undefined && last.kind !== "UnionType" && last.kind !== "FunctionType" && typeEndsWithName(last);
    }
    case "FunctionType":
      return typeEndsWithName(type.result);
    default:
      return false;
  }
}

/** Whether the expression, printed where an operator's left operand stands, ends with a type name. */
function endsWithBareTypeName(expr: Expr): boolean {
  switch (expr.kind) {
    case "CastExpr":
      return typeEndsWithName(expr.type);
    case "BinaryExpr":
      return !needsParens(expr.right, { kind: "binary", op: expr.op, side: "right" }) && endsWithBareTypeName(expr.right);
    case "UnaryExpr":
      return !needsParens(expr.operand, { kind: "prefix", op: expr.op }) && endsWithBareTypeName(expr.operand);
    default:
      return false;
  }
}

/**
 * Words that continue the statement before when they start a line:
 * `show`, `by`, `timeout` and `default` continue an `approve`, and
 * `timeout` a `wait signal "s" -> T` at the end of a statement.
 */
const continuationWords = new Set(["show", "by", "timeout", "default"]);

/**
 * Whether an expression statement must be parenthesized so that it is not
 * read as the continuation of the statement above it: statements are not
 * terminated, and only a call's `(` or an index's `[` has to stay on the
 * line before it, so a leading `-` would be read as a subtraction and a
 * leading continuation word as part of the statement before.
 */
export function statementNeedsParens(expr: Expr): boolean {
  let e: Expr = expr;
  for (;;) {
    switch (e.kind) {
      case "UnaryExpr":
        return e.op === "-";
      case "NameExpr":
        return continuationWords.has(e.name);
      case "LambdaExpr": {
        // `x => …` starts with its parameter's name; other lambdas start with `(`.
        const only = e.params.length === 1 ? e.params[0] : undefined;
        return only !== undefined && continuationWords.has(only.name);
      }
      case "BinaryExpr":
        if (needsParens(e.left, { kind: "binary", op: e.op, side: "left" })) return false;
        e = e.left;
        break;
      case "CastExpr":
        if (needsParens(e.expr, { kind: "cast" })) return false;
        e = e.expr;
        break;
      case "CallExpr":
        if (needsParens(e.callee, { kind: "postfix" })) return false;
        e = e.callee;
        break;
      case "FieldExpr":
        if (needsParens(e.object, { kind: "postfix" })) return false;
        e = e.object;
        break;
      default:
        return false;
    }
  }
}

/**
 * Whether the expression's text ends with a `wait signal … -> T` that has
 * no `timeout`: a `timeout` written after it would be read as the wait's
 * own. Lambdas and waits end with an expression, so look at that one.
 */
export function endsWithOpenWait(expr: Expr): boolean {
  switch (expr.kind) {
    case "WaitSignalExpr":
      return expr.timeout === null || endsWithOpenWait(expr.timeout);
    case "LambdaExpr":
      return endsWithOpenWait(expr.body);
    case "BinaryExpr":
      return !needsParens(expr.right, { kind: "binary", op: expr.op, side: "right" }) && endsWithOpenWait(expr.right);
    case "UnaryExpr":
      return !needsParens(expr.operand, { kind: "prefix", op: expr.op }) && endsWithOpenWait(expr.operand);
    default:
      return false;
  }
}
