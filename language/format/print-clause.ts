import type { builders } from "prettier/doc";
import type { Clause, EffectRef } from "../ast.ts";
import type { Span } from "../source-file.ts";
import type { PrintContext } from "./context.ts";
import { endsWithOpenWait } from "./parens.ts";
import { printExpr } from "./print-expr.ts";
import { printList } from "./print-list.ts";
import { printString } from "./print-string.ts";

type Doc = builders.Doc;

export function clauseKeyword(clause: Clause): string {
  switch (clause.kind) {
    case "EffectsClause":
      return "effects";
    case "GrantsClause":
      return "grants";
    case "BudgetClause":
      return "budget";
    case "RetryClause":
      return "retry";
    case "TimeoutClause":
      return "timeout";
    case "GateClause":
      return "gate";
    case "SandboxClause":
      return "sandbox";
    case "ModelsClause":
      return "models";
    case "ToolsClause":
      return "tools";
    case "PromptClause":
      return "prompt";
    case "CostClause":
      return "cost";
    default: {
      const unreachable: never = clause;
      throw new Error(`unknown clause kind ${(unreachable as Clause).kind}`);
    }
  }
}

function printEffect(effect: EffectRef, ctx: PrintContext): Doc {
  const name = effect.path.map((p) => p.name).join(".");
  return effect.scope === null ? name : [name, "(", printString(effect.scope, ctx, printExpr), ")"];
}

function printEffects(effects: readonly EffectRef[], clause: Span, ctx: PrintContext): Doc {
  return printList(ctx, {
    open: "{",
    close: "}",
    spaced: true,
    items: effects,
    start: clause.start,
    end: clause.end,
    print: (effect) => printEffect(effect, ctx),
  });
}

function printClauseValue(clause: Clause, ctx: PrintContext): Doc {
  switch (clause.kind) {
    case "EffectsClause":
    case "GrantsClause":
      return printEffects(clause.effects, clause.span, ctx);
    case "BudgetClause":
      return printList(ctx, {
        open: "{",
        close: "}",
        spaced: true,
        items: clause.entries,
        start: clause.span.start,
        end: clause.span.end,
        print: (entry) => [entry.key.name, ": ", entry.value.raw],
      });
    case "RetryClause": {
      const { backoff, on } = clause;
      return [
        clause.attempts.raw,
        backoff === null
          ? ""
          : [
              " backoff ",
              backoff.strategy.name,
              "(",
              printExpr(backoff.base, ctx),
              backoff.cap === null ? "" : [", cap ", printExpr(backoff.cap, ctx)],
              ")",
            ],
        on === null
          ? ""
          : [
              " on ",
              printList(ctx, {
                open: "[",
                close: "]",
                spaced: false,
                items: on,
                start: backoff?.span.end ?? clause.attempts.span.end,
                end: clause.span.end,
                print: (kind) => kind.name,
              }),
            ],
      ];
    }
    case "TimeoutClause":
      return printExpr(clause.duration, ctx);
    case "GateClause":
      return printString(clause.name, ctx, printExpr);
    case "SandboxClause":
      return printString(clause.profile, ctx, printExpr);
    case "ModelsClause":
      return clause.route.kind === "Ident" ? clause.route.name : printExpr(clause.route, ctx);
    case "ToolsClause":
      return printList(ctx, {
        open: "[",
        close: "]",
        spaced: false,
        items: clause.tools,
        start: clause.span.start,
        end: clause.span.end,
        print: (tool) => tool.parts.map((p) => p.name).join("."),
      });
    case "PromptClause":
      return printString(clause.text, ctx, printExpr);
    case "CostClause":
      return printList(ctx, {
        open: "{",
        close: "}",
        spaced: true,
        items: clause.entries,
        start: clause.span.start,
        end: clause.span.end,
        print: (entry) => [entry.key.name, ": ", entry.value.kind === "Ident" ? entry.value.name : entry.value.raw],
      });
    default: {
      const unreachable: never = clause;
      throw new Error(`unknown clause kind ${(unreachable as Clause).kind}`);
    }
  }
}

/**
 * `keyword value`, the keyword padded to `keywordWidth` so that the values
 * of one declaration's clauses start in one column. A `"""` prompt is not
 * padded: its text starts on the next line, so there is no column to align.
 */
export function printClause(clause: Clause, keywordWidth: number, next: Clause | undefined, ctx: PrintContext): Doc {
  const keyword = clauseKeyword(clause);
  const padded = !(clause.kind === "PromptClause" && clause.text.block);
  const gap = padded ? " ".repeat(keywordWidth - keyword.length + 1) : " ";
  const value = printClauseValue(clause, ctx);
  // A wait at the end of a `timeout` would take a following `timeout` clause as its own.
  const guarded =
    clause.kind === "TimeoutClause" && next?.kind === "TimeoutClause" && endsWithOpenWait(clause.duration)
      ? ["(", value, ")"]
      : value;
  return [keyword, gap, guarded];
}
