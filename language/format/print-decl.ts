import { builders } from "prettier/doc";
import type { CallableDecl, Decl, FnDecl, Program } from "../ast.ts";
import { alignmentWidths } from "./align.ts";
import { printTrailing, printTrailingLineEnd } from "./comments.ts";
import type { PrintContext } from "./context.ts";
import { clauseKeyword, printClause } from "./print-clause.ts";
import { printExpr } from "./print-expr.ts";
import { printLines } from "./print-lines.ts";
import { printList } from "./print-list.ts";
import { printBlock } from "./print-stmt.ts";
import { printString } from "./print-string.ts";
import { printType } from "./print-type.ts";
import { offsetPastDelimiter } from "./source-gaps.ts";

type Doc = builders.Doc;
const { group, hardline, indent } = builders;

/**
 * Declarations that may sit together with others of their kind without a
 * blank line: imports, types, models, and `fn` declarations without
 * clauses, which are one-line signatures like types.
 */
function isGroupable(decl: Decl): boolean {
  switch (decl.kind) {
    case "ImportDecl":
    case "TypeDecl":
    case "ModelsDecl":
      return true;
    case "FnDecl":
      return decl.clauses.length === 0;
    default:
      return false;
  }
}

/** Consecutive `type` (or `models`) declarations align their `=`: the key is the name. */
function alignedNameWidth(decl: Decl): number | null {
  return decl.kind === "TypeDecl" || decl.kind === "ModelsDecl" ? decl.name.name.length : null;
}

/**
 * Declarations one after another with one blank line between them, except
 * within a stretch of imports, types, models or clause-less `fn`s, where
 * the source decides (at most one). Comments after the last declaration
 * end the file.
 */
export function printProgram(program: Program, ctx: PrintContext): Doc {
  const widths = alignmentWidths(
    program.decls,
    alignedNameWidth,
    (prev, decl) => prev.kind === decl.kind,
    ctx.source,
    ctx.comments.all,
  );
  return printLines(ctx, {
    items: program.decls,
    print: (decl, i) => printDecl(decl, ctx, widths[i] ?? null),
    blankBetween: (prev, decl, sourceHadBlank) =>
      prev.kind === decl.kind && isGroupable(prev) && isGroupable(decl) ? sourceHadBlank : true,
    keepBlankLines: true,
    start: 0,
    end: Number.POSITIVE_INFINITY,
  });
}

function padding(name: string, width: number | null): string {
  return " ".repeat(width === null ? 0 : Math.max(0, width - name.length));
}

function printDecl(decl: Decl, ctx: PrintContext, nameWidth: number | null): Doc {
  switch (decl.kind) {
    case "ImportDecl":
      return [
        "import ",
        printList(ctx, {
          open: "{",
          close: "}",
          spaced: true,
          items: decl.names,
          start: decl.span.start,
          end: decl.from.span.start,
          print: (n) => (n.alias === null ? n.name.name : [n.name.name, " as ", n.alias.name]),
        }),
        " from ",
        printString(decl.from, ctx, printExpr),
      ];
    case "TypeDecl":
      return ["type ", decl.name.name, padding(decl.name.name, nameWidth), " = ", printType(decl.type, ctx)];
    case "ModelsDecl":
      return [
        "models ",
        decl.name.name,
        padding(decl.name.name, nameWidth),
        " = ",
        printList(ctx, {
          open: "[",
          close: "]",
          spaced: false,
          items: decl.models,
          start: decl.name.span.end,
          end: decl.span.end,
          print: (model) => printString(model, ctx, printExpr),
        }),
      ];
    case "NodeDecl":
    case "AgentDecl":
    case "VerifierDecl":
    case "WorkflowDecl":
    case "FnDecl":
      return printCallable(decl, ctx);
    default: {
      const unreachable: never = decl;
      throw new Error(`unknown declaration kind ${(unreachable as Decl).kind}`);
    }
  }
}

function declKeyword(decl: CallableDecl | FnDecl): string {
  switch (decl.kind) {
    case "NodeDecl":
      return "node";
    case "AgentDecl":
      return "agent";
    case "VerifierDecl":
      return "verifier";
    case "WorkflowDecl":
      return "workflow";
    case "FnDecl":
      return "fn";
    default: {
      const unreachable: never = decl;
      throw new Error(`unknown declaration kind ${(unreachable as CallableDecl | FnDecl).kind}`);
    }
  }
}

/** Where a `fn`'s type parameters end: just past their `>`, which the tree does not record. */
function typeParamsEnd(decl: FnDecl, ctx: PrintContext): number {
  const last = decl.typeParams[decl.typeParams.length - 1];
  if (last === undefined) return decl.name.span.end;
  return offsetPastDelimiter(ctx.source, ctx.comments.all, last.span.end, ">");
}

/** `<T, N: number>` after a `fn`'s name; nothing when it has none. */
function printTypeParams(decl: FnDecl, end: number, ctx: PrintContext): Doc {
  if (decl.typeParams.length === 0) return "";
  return printList(ctx, {
    open: "<",
    close: ">",
    spaced: false,
    items: decl.typeParams,
    start: decl.name.span.end,
    end,
    print: (param) => (param.constraint === null ? param.name.name : [param.name.name, ": ", param.constraint.name]),
  });
}

/**
 * The signature on one line (parameters one per line if it does not fit),
 * then the clauses one per line, indented, keywords padded to align their
 * values, then the body: its `{` on a line of its own when there are
 * clauses, at the end of the signature when there are none. Agents and
 * `fn` declarations have no body.
 */
function printCallable(decl: CallableDecl | FnDecl, ctx: PrintContext): Doc {
  const isFn = decl.kind === "FnDecl";
  // A `fn`'s parameters start after its type parameters.
  const paramsStart = isFn ? typeParamsEnd(decl, ctx) : decl.name.span.end;
  const signature = group([
    declKeyword(decl),
    " ",
    isFn && decl.namespace !== null ? [decl.namespace.name, "."] : "",
    decl.name.name,
    isFn ? printTypeParams(decl, paramsStart, ctx) : "",
    printList(ctx, {
      open: "(",
      close: ")",
      spaced: false,
      items: decl.params,
      start: paramsStart,
      end: decl.returnType.span.start,
      print: (param) => [param.name.name, ": ", printType(param.type, ctx)],
    }),
    " -> ",
    printType(decl.returnType, ctx),
  ]);
  const trailing = ctx.comments.takeTrailing(decl.returnType.span.end);
  const body = decl.kind === "AgentDecl" || decl.kind === "FnDecl" ? null : decl.body;
  // With clauses (or no body) the signature ends its line; otherwise ` {` follows it.
  const afterSignature = decl.clauses.length > 0 || body === null ? printTrailingLineEnd(trailing) : printTrailing(trailing);
  const keywordWidth = Math.max(0, ...decl.clauses.map((c) => clauseKeyword(c).length));
  const clauses = printLines(ctx, {
    items: decl.clauses,
    print: (clause, i) => printClause(clause, keywordWidth, decl.clauses[i + 1], ctx),
    blankBetween: () => false,
    keepBlankLines: false,
    // Comments in the signature that found no place there go with the clauses,
    // and so do comments between the last clause and the body's `{`.
    start: decl.span.start,
    end: body === null ? null : body.span.start,
  });
  if (clauses.length === 0) {
    if (body === null) return [signature, afterSignature];
    return [signature, afterSignature, " ", printBlock(body, ctx, trailing.endOfLine.length > 0)];
  }
  return [signature, afterSignature, indent([hardline, clauses]), body === null ? "" : [hardline, printBlock(body, ctx)]];
}
