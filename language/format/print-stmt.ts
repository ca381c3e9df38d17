import { builders } from "prettier/doc";
import type { Block, Expr, IfStmt, LetStmt, Stmt } from "../ast.ts";
import { alignmentWidths } from "./align.ts";
import { printTrailingLineEnd } from "./comments.ts";
import type { PrintContext } from "./context.ts";
import { endsWithOpenWait, statementNeedsParens } from "./parens.ts";
import { printExpr } from "./print-expr.ts";
import { printLines } from "./print-lines.ts";
import { printString } from "./print-string.ts";
import { flatTypeText, printType } from "./print-type.ts";

type Doc = builders.Doc;
const { hardline, indent } = builders;

/** `name` or `name: T`, the part of a `let` that consecutive lets align after. */
function letKeyWidth(stmt: LetStmt): number {
  return stmt.name.name.length + (stmt.type === null ? 0 : 2 + flatTypeText(stmt.type).length);
}

/**
 * `{`, one statement per line, `}`. Blank lines between statements are
 * kept (at most one), never at the start or end; comments left before the
 * closing brace are printed at the end of the block; `{}` when empty.
 */
export function printBlock(block: Block, ctx: PrintContext, openLineTaken = false): Doc {
  const opens = ctx.source[block.span.start] === "{";
  // Two constructs' end-of-line comments on one line would merge into one
  // comment; when the `{` line already ends with one, comments after the
  // `{` go inside the block instead.
  const afterOpen = opens && !openLineTaken ? ctx.comments.takeTrailing(block.span.start + 1) : null;
  // Consecutive `let`s align their `=`.
  const widths = alignmentWidths(
    block.stmts,
    (stmt) => (stmt.kind === "LetStmt" ? letKeyWidth(stmt) : null),
    () => true,
    ctx.source,
    ctx.comments.all,
  );
  const lines = printLines(ctx, {
    items: block.stmts,
    print: (stmt, i) => printStmt(stmt, ctx, widths[i] ?? null, block.stmts[i - 1]),
    blankBetween: (_prev, _stmt, sourceHadBlank) => sourceHadBlank,
    keepBlankLines: true,
    start: opens ? block.span.start + 1 : block.span.start,
    end: block.span.end,
  });
  const openComments = afterOpen === null ? "" : printTrailingLineEnd(afterOpen);
  if (lines.length === 0) {
    const hasOpenComments = afterOpen !== null && afterOpen.inline.length + afterOpen.endOfLine.length > 0;
    return hasOpenComments ? ["{", openComments, hardline, "}"] : "{}";
  }
  return ["{", openComments, indent([hardline, lines]), hardline, "}"];
}

/** `show x` before `timeout`: a wait at its end would take the gate's timeout as its own. */
function printShown(show: Expr, beforeTimeout: boolean, ctx: PrintContext): Doc {
  const doc = printExpr(show, ctx);
  return beforeTimeout && endsWithOpenWait(show) ? ["(", doc, ")"] : doc;
}

function printIf(stmt: IfStmt, ctx: PrintContext): Doc {
  const otherwise = stmt.else;
  return [
    "if ",
    printExpr(stmt.cond, ctx),
    " ",
    printBlock(stmt.then, ctx),
    otherwise === null ? "" : [" else ", otherwise.kind === "IfStmt" ? printIf(otherwise, ctx) : printBlock(otherwise, ctx)],
  ];
}

/**
 * `keyWidth` pads a `let`'s name (and type) so that a run of lets aligns
 * its `=`; `previous` is the statement before this one in its block,
 * which this one must not be read as continuing.
 */
function printStmt(stmt: Stmt, ctx: PrintContext, keyWidth: number | null, previous: Stmt | undefined): Doc {
  switch (stmt.kind) {
    case "LetStmt": {
      const pad = keyWidth === null ? 0 : Math.max(0, keyWidth - letKeyWidth(stmt));
      return [
        "let ",
        stmt.name.name,
        stmt.type === null ? "" : [": ", printType(stmt.type, ctx)],
        " ".repeat(pad),
        " = ",
        printExpr(stmt.value, ctx),
      ];
    }
    case "ExprStmt": {
      const doc = printExpr(stmt.expr, ctx);
      const guarded = previous !== undefined && statementNeedsParens(stmt.expr);
      return guarded ? ["(", doc, ")"] : doc;
    }
    case "ReturnStmt":
      return ["return ", printExpr(stmt.value, ctx)];
    case "IfStmt":
      return printIf(stmt, ctx);
    case "CheckpointStmt":
      return ["checkpoint ", printString(stmt.label, ctx, printExpr)];
    case "FailStmt":
      return ["fail ", stmt.errorKind.name, "(", printExpr(stmt.message, ctx), ")"];
    case "VerifyStmt":
      return ["verify ", printExpr(stmt.check, ctx), " else ", printExpr(stmt.message, ctx)];
    case "ApproveStmt":
      return [
        "approve ",
        printString(stmt.name, ctx, printExpr),
        stmt.show === null ? "" : [" show ", printShown(stmt.show, stmt.timeout !== null, ctx)],
        stmt.by === null ? "" : [" by ", printString(stmt.by, ctx, printExpr)],
        stmt.timeout === null ? "" : [" timeout ", printExpr(stmt.timeout, ctx)],
        stmt.default === null ? "" : [" default ", stmt.default.value],
      ];
    case "SleepStmt":
      return ["sleep ", printExpr(stmt.duration, ctx)];
    default: {
      const unreachable: never = stmt;
      throw new Error(`unknown statement kind ${(unreachable as Stmt).kind}`);
    }
  }
}
