import { builders, utils } from "prettier/doc";
import type { Expr, StringLit } from "../ast.ts";
import type { PrintContext } from "./context.ts";

type Doc = builders.Doc;
const { hardline, indent } = builders;

/** Prints a whole expression; passed in, so that string printing stays independent of expression printing. */
export type PrintExprFn = (expr: Expr, ctx: PrintContext) => Doc;

function hex(codePoint: number): string {
  return `\\u{${codePoint.toString(16).toUpperCase().padStart(2, "0")}}`;
}

/** Control characters and line separators never appear raw inside a string. */
function isInvisible(codePoint: number): boolean {
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) || codePoint === 0x2028 || codePoint === 0x2029;
}

/** The cooked text of a `"…"` string (or a literal type) written back with escapes. */
export function escapePlainText(text: string): string {
  let out = "";
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    i += ch.length;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "$" && text[i] === "{") out += "\\$";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (isInvisible(cp)) out += hex(cp);
    else out += ch;
  }
  return out;
}

/**
 * One line of block-string text written back with escapes. Quotes are
 * escaped so that no three stand in a row (which would close the string):
 * in a run of three or more, every third one starting with the first. Tabs
 * are escaped too, so that the only raw indentation is spaces.
 */
function escapeBlockText(text: string): string {
  let out = "";
  let quoteRun = 0;
  let runLength = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    i += ch.length;
    if (ch === '"') {
      if (quoteRun === 0) {
        runLength = 1;
        while (text[i + runLength - 1] === '"') runLength++;
      }
      out += runLength >= 3 && quoteRun % 3 === 0 ? '\\"' : '"';
      quoteRun++;
      continue;
    }
    quoteRun = 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === "$" && text[i] === "{") out += "\\$";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (isInvisible(cp)) out += hex(cp);
    else out += ch;
  }
  return out;
}

function printInterpolation(expr: Expr, ctx: PrintContext, printExpr: PrintExprFn): Doc {
  // Groups never break inside a string (only what has to span lines does:
  // a nested `"""` string, a block of statements), and comments met inside
  // surface after the string instead.
  const doc = ctx.comments.withoutComments(() => printExpr(expr, ctx));
  return ["${", utils.removeLines(doc), "}"];
}

export function printString(s: StringLit, ctx: PrintContext, printExpr: PrintExprFn): Doc {
  return s.block ? printBlockString(s, ctx, printExpr) : printPlainString(s, ctx, printExpr);
}

function printPlainString(s: StringLit, ctx: PrintContext, printExpr: PrintExprFn): Doc {
  const parts: Doc[] = ['"'];
  for (const part of s.parts) {
    if (part.kind === "TextPart") parts.push(escapePlainText(part.value));
    else parts.push(printInterpolation(part.expr, ctx, printExpr));
  }
  parts.push('"');
  return parts;
}

type Segment = { readonly text: string } | { readonly doc: Doc };

/**
 * A `"""` string: the opening quotes, the content one line per line at one
 * indentation step deeper than the line the string starts on, and the
 * closing quotes on their own line at that line's indentation. Every
 * enclosing group breaks (the lines are hard), so the indentation prettier
 * tracks is the indentation of the line the string starts on.
 *
 * The lexer strips the least indentation of the non-blank lines, so the
 * content must put that least indentation exactly at the printed margin:
 * empty lines print empty, trailing whitespace is escaped (it would be
 * invisible, and editors trim it), and when every non-empty line starts
 * with a space, the first space of each is escaped.
 */
function printBlockString(s: StringLit, ctx: PrintContext, printExpr: PrintExprFn): Doc {
  const lines: Segment[][] = [[]];
  for (const part of s.parts) {
    if (part.kind === "InterpolationPart") {
      lines[lines.length - 1]!.push({ doc: printInterpolation(part.expr, ctx, printExpr) });
      continue;
    }
    part.value.split("\n").forEach((text, i) => {
      if (i > 0) lines.push([]);
      if (text !== "") lines[lines.length - 1]!.push({ text: escapeBlockText(text) });
    });
  }
  // Empty content is no lines at all, not one empty line.
  if (lines.length === 1 && lines[0]!.length === 0) lines.pop();

  for (const segments of lines) {
    const lastIndex = segments.length - 1;
    const last = segments[lastIndex];
    if (last !== undefined && "text" in last && /\s$/u.test(last.text)) {
      segments[lastIndex] = { text: last.text.slice(0, -1) + hex(last.text.charCodeAt(last.text.length - 1)) };
    }
  }
  const nonEmpty = lines.filter((segments) => segments.length > 0);
  const startsWithSpace = (segments: Segment[]): boolean => {
    const first = segments[0];
    return first !== undefined && "text" in first && first.text.startsWith(" ");
  };
  if (nonEmpty.length > 0 && nonEmpty.every(startsWithSpace)) {
    for (const segments of nonEmpty) {
      const first = segments[0] as { text: string };
      segments[0] = { text: hex(0x20) + first.text.slice(1) };
    }
  }

  const content = lines.map((segments) => [hardline, segments.map((seg) => ("text" in seg ? seg.text : seg.doc))]);
  return ['"""', indent(content), hardline, '"""'];
}
