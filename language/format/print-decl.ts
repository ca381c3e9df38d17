import { builders } from "prettier/doc";
import type { CallableDecl, Decl, Program } from "../ast.ts";
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

type Doc = builders.Doc;
const { group, hardline, indent } = builders;

/** Kinds whose consecutive declarations may sit together without a blank line. */
function isGroupable(kind: Decl["kind"]): boolean {
  return kind === "ImportDecl" || kind === "TypeDecl" || kind === "ModelsDecl";
}

/** Consecutive `type` (or `models`) declarations align their `=`: the key is the name. */
function alignedNameWidth(decl: Decl): number | null {
  return decl.kind === "TypeDecl" || decl.kind === "ModelsDecl" ? decl.name.name.length : null;
}

/**
 * Declarations one after another with one blank line between them, except
 * within a stretch of imports, types or models, where the source decides
 * (at most one). Comments after the last declaration end the file.
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
    blankBetween: (prev, decl, sourceHadBlank) => (prev.kind === decl.kind && isGroupable(decl.kind) ? sourceHadBlank : true),
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
      return printCallable(decl, ctx);
    default: {
      const unreachable: never = decl;
      throw new Error(`unknown declaration kind ${(unreachable as Decl).kind}`);
    }
  }
}

function declKeyword(decl: CallableDecl): string {
  switch (decl.kind) {
    case "NodeDecl":
      return "node";
    case "AgentDecl":
      return "agent";
    case "VerifierDecl":
      return "verifier";
    case "WorkflowDecl":
      return "workflow";
    default: {
      const unreachable: never = decl;
      throw new Error(`unknown declaration kind ${(unreachable as CallableDecl).kind}`);
    }
  }
}

/**
 * The signature on one line (parameters one per line if it does not fit),
 * then the clauses one per line, indented, keywords padded to align their
 * values, then the body: its `{` on a line of its own when there are
 * clauses, at the end of the signature when there are none.
 */
function printCallable(decl: CallableDecl, ctx: PrintContext): Doc {
  const signature = group([
    declKeyword(decl),
    " ",
    decl.name.name,
    printList(ctx, {
      open: "(",
      close: ")",
      spaced: false,
      items: decl.params,
      start: decl.name.span.end,
      end: decl.returnType.span.start,
      print: (param) => [param.name.name, ": ", printType(param.type, ctx)],
    }),
    " -> ",
    printType(decl.returnType, ctx),
  ]);
  const trailing = ctx.comments.takeTrailing(decl.returnType.span.end);
  const body = decl.kind === "AgentDecl" ? null : decl.body;
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
