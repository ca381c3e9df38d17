import { builders } from "prettier/doc";
import type { Arg, BinaryExpr, Block, CallExpr, Expr, ForExpr, LambdaExpr } from "../ast.ts";
import { associativity, binaryPrecedence } from "../operators.ts";
import type { PrintContext } from "./context.ts";
import { type ExprPosition, needsParens, top } from "./parens.ts";
import { printList } from "./print-list.ts";
import { printBlock } from "./print-stmt.ts";
import { printString } from "./print-string.ts";
import { printType } from "./print-type.ts";

type Doc = builders.Doc;
const { group, indent, line } = builders;

const postfix: ExprPosition = { kind: "postfix" };
const castOperand: ExprPosition = { kind: "cast" };

/** Prints an expression, with parentheses if it needs them where it stands. */
export function printExpr(expr: Expr, ctx: PrintContext, position: ExprPosition = top): Doc {
  const doc = printBare(expr, ctx);
  return needsParens(expr, position) ? ["(", doc, ")"] : doc;
}

function printTop(expr: Expr, ctx: PrintContext): Doc {
  return printExpr(expr, ctx, top);
}

function printBare(expr: Expr, ctx: PrintContext): Doc {
  switch (expr.kind) {
    case "NumberLit":
    case "QuantityLit":
      return expr.raw;
    case "StringLit":
      return printString(expr, ctx, printTop);
    case "BoolLit":
      return expr.value ? "true" : "false";
    case "NullLit":
      return "null";
    case "NameExpr":
      return expr.name;
    case "RecordExpr":
      return printList(ctx, {
        open: "{",
        close: "}",
        spaced: true,
        items: expr.fields,
        start: expr.span.start,
        end: expr.span.end,
        print: (field) => [field.name.name, ": ", printTop(field.value, ctx)],
      });
    case "ListExpr":
      return printList(ctx, {
        open: "[",
        close: "]",
        spaced: false,
        items: expr.items,
        start: expr.span.start,
        end: expr.span.end,
        bareExpressions: true,
        print: (item) => printTop(item, ctx),
      });
    case "FieldExpr":
      return [printExpr(expr.object, ctx, postfix), ".", expr.field.name];
    case "CallExpr":
      return printCall(expr, ctx);
    case "UnaryExpr":
      return [expr.op, printExpr(expr.operand, ctx, { kind: "prefix", op: expr.op })];
    case "BinaryExpr":
      return printBinary(expr, ctx);
    case "CastExpr":
      return [printExpr(expr.expr, ctx, castOperand), " as ", printType(expr.type, ctx)];
    case "LambdaExpr":
      return printLambda(expr, ctx);
    case "ForExpr":
      return printFor(expr, ctx);
    case "WaitSignalExpr":
      return [
        "wait signal ",
        printString(expr.name, ctx, printTop),
        " -> ",
        printType(expr.type, ctx),
        expr.timeout === null ? "" : [" timeout ", printTop(expr.timeout, ctx)],
      ];
    case "ErrorExpr":
      throw new Error("cannot format a tree that has syntax errors");
    default: {
      const unreachable: never = expr;
      throw new Error(`unknown expression kind ${(unreachable as Expr).kind}`);
    }
  }
}

/**
 * A chain of one left-associative level (`a + b - c`) is one group that
 * breaks after each operator, so a long sum does not staircase.
 */
function printBinary(expr: BinaryExpr, ctx: PrintContext): Doc {
  const chain: BinaryExpr[] = [expr];
  let first: Expr = expr.left;
  if (associativity(expr.op) === "left") {
    const level = binaryPrecedence[expr.op];
    while (first.kind === "BinaryExpr" && binaryPrecedence[first.op] === level) {
      chain.push(first);
      first = first.left;
    }
  }
  chain.reverse();
  const head = printExpr(first, ctx, { kind: "binary", op: chain[0]!.op, side: "left" });
  const rest = chain.map((link) => [
    " ",
    link.op,
    line,
    printExpr(link.right, ctx, { kind: "binary", op: link.op, side: "right" }),
  ]);
  return group([head, indent(rest)]);
}

function printArg(arg: Arg, ctx: PrintContext): Doc {
  return arg.name === null ? printTop(arg.value, ctx) : [arg.name.name, ": ", printTop(arg.value, ctx)];
}

/** A lone record or list argument, with no comment to place, hugs the parentheses: `f({` … `})`. */
function hugsArgument(call: CallExpr, ctx: PrintContext): boolean {
  const only = call.args[0];
  if (call.args.length !== 1 || only === undefined || only.name !== null) return false;
  const value = only.value;
  const nonEmpty =
    (value.kind === "RecordExpr" && value.fields.length > 0) || (value.kind === "ListExpr" && value.items.length > 0);
  return nonEmpty && !ctx.comments.hasPendingWithin(call.callee.span.end, call.span.end);
}

function printCall(call: CallExpr, ctx: PrintContext): Doc {
  const callee = printExpr(call.callee, ctx, postfix);
  if (hugsArgument(call, ctx)) return [callee, "(", printTop(call.args[0]!.value, ctx), ")"];
  return [
    callee,
    printList(ctx, {
      open: "(",
      close: ")",
      spaced: false,
      items: call.args,
      start: call.callee.span.end,
      end: call.span.end,
      print: (arg) => printArg(arg, ctx),
    }),
  ];
}

function printLambda(lambda: LambdaExpr, ctx: PrintContext): Doc {
  const names = lambda.params.map((p) => p.name);
  const params = names.length === 1 ? names[0]! : `(${names.join(", ")})`;
  return [params, " => ", printTop(lambda.body, ctx)];
}

/**
 * A body that is one expression and holds no comment reads best inline,
 * `{ f(x) }`, when it fits; anything else is an ordinary block.
 */
function printForBody(body: Block, ctx: PrintContext): Doc {
  const only = body.stmts[0];
  if (
    body.stmts.length === 1 &&
    only !== undefined &&
    only.kind === "ExprStmt" &&
    !ctx.comments.hasPendingWithin(body.span.start, body.span.end)
  ) {
    return group(["{", indent([line, printTop(only.expr, ctx)]), line, "}"]);
  }
  return printBlock(body, ctx);
}

function printFor(expr: ForExpr, ctx: PrintContext): Doc {
  return [
    "for ",
    expr.binding.name,
    " in ",
    printTop(expr.iterable, ctx),
    expr.concurrency === null ? "" : [" concurrency ", printTop(expr.concurrency, ctx)],
    expr.tolerate === null ? "" : [" tolerate ", printTop(expr.tolerate, ctx)],
    expr.limit === null ? "" : [" limit ", printTop(expr.limit, ctx)],
    " ",
    printForBody(expr.body, ctx),
  ];
}
