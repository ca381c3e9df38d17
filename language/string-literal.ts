import type { Expr, StringPart } from "./ast.ts";
import type { Span } from "./source-file.ts";
import { cookEscape } from "./string-escapes.ts";

/** A piece of a string as the parser saw it, before escapes and indentation are handled. */
export type RawPiece =
  | { readonly kind: "text"; readonly raw: string; readonly start: number }
  | { readonly kind: "escape"; readonly raw: string; readonly start: number }
  | { readonly kind: "interpolation"; readonly expr: Expr; readonly span: Span };

export interface StringProblem {
  readonly code: "FL0103" | "FL0107";
  readonly span: Span;
  readonly message: string;
}

export interface BuiltString {
  readonly parts: StringPart[];
  readonly problems: StringProblem[];
}

/** `"…"`: apply escapes, merge adjacent text. */
export function buildPlainString(pieces: readonly RawPiece[]): BuiltString {
  const problems: StringProblem[] = [];
  return { parts: cook(pieces, problems), problems };
}

/**
 * `"""…"""`: the opening quotes end their line; the line holding the
 * closing quotes is dropped when it is only indentation; then the
 * indentation common to all non-blank lines is removed, and lines holding
 * only spaces and tabs become empty. Indentation is measured on the source
 * text, before escapes apply, so an escape (`\u{20}`) is content, never
 * indentation, and `${…}` counts as content too.
 */
export function buildBlockString(pieces: readonly RawPiece[], openingEnd: number): BuiltString {
  const problems: StringProblem[] = [];
  const lines = splitLines(pieces, openingEnd);

  const first = lines[0]!;
  if (!isBlank(first)) {
    const at = first.pieces[0];
    const start = at === undefined ? openingEnd : pieceStart(at);
    problems.push({
      code: "FL0107",
      span: { start, end: start + 1 },
      message: "a block string starts on the line after its opening `\"\"\"`",
    });
  }
  lines.shift();
  const last = lines[lines.length - 1];
  if (last !== undefined && isBlank(last)) lines.pop();

  let indent = Infinity;
  for (const line of lines) {
    if (!isBlank(line)) indent = Math.min(indent, leadingWhitespace(line));
  }

  const out: RawPiece[] = [];
  lines.forEach((line, index) => {
    if (index > 0) out.push({ kind: "text", raw: "\n", start: line.breakAt });
    if (isBlank(line)) return;
    let skip = indent;
    for (const piece of line.pieces) {
      if (skip > 0 && piece.kind === "text") {
        const cut = Math.min(skip, piece.raw.length);
        skip -= cut;
        if (cut < piece.raw.length) out.push({ kind: "text", raw: piece.raw.slice(cut), start: piece.start + cut });
        continue;
      }
      skip = 0;
      out.push(piece);
    }
  });
  return { parts: cook(out, problems), problems };
}

/** A line of the block: its pieces, and where the line break before it stands in the source. */
interface Line {
  readonly pieces: RawPiece[];
  readonly breakAt: number;
}

/** Splits on line breaks in source text (not on `\n` escapes). */
function splitLines(pieces: readonly RawPiece[], openingEnd: number): Line[] {
  const lines: Line[] = [{ pieces: [], breakAt: openingEnd }];
  const current = () => lines[lines.length - 1]!.pieces;
  for (const piece of pieces) {
    if (piece.kind !== "text") {
      current().push(piece);
      continue;
    }
    let from = 0;
    for (let i = 0; i < piece.raw.length; i++) {
      if (piece.raw[i] !== "\n") continue;
      let end = i;
      if (end > from && piece.raw[end - 1] === "\r") end--;
      if (end > from) current().push({ kind: "text", raw: piece.raw.slice(from, end), start: piece.start + from });
      lines.push({ pieces: [], breakAt: piece.start + i });
      from = i + 1;
    }
    if (from < piece.raw.length) current().push({ kind: "text", raw: piece.raw.slice(from), start: piece.start + from });
  }
  return lines;
}

function isBlank(line: Line): boolean {
  return line.pieces.every((p) => p.kind === "text" && /^[ \t]*$/.test(p.raw));
}

function leadingWhitespace(line: Line): number {
  let count = 0;
  for (const piece of line.pieces) {
    if (piece.kind !== "text") return count;
    const match = /^[ \t]*/.exec(piece.raw)![0].length;
    count += match;
    if (match < piece.raw.length) return count;
  }
  return count;
}

function pieceStart(piece: RawPiece): number {
  return piece.kind === "interpolation" ? piece.span.start : piece.start;
}

function cook(pieces: readonly RawPiece[], problems: StringProblem[]): StringPart[] {
  const parts: StringPart[] = [];
  let text = "";
  let textStart = -1;
  let textEnd = -1;
  const flush = () => {
    if (textStart >= 0) parts.push({ kind: "TextPart", value: text, span: { start: textStart, end: textEnd } });
    text = "";
    textStart = -1;
  };
  for (const piece of pieces) {
    if (piece.kind === "interpolation") {
      flush();
      parts.push({ kind: "InterpolationPart", expr: piece.expr, span: piece.span });
      continue;
    }
    if (textStart < 0) textStart = piece.start;
    textEnd = Math.max(textStart, piece.start + piece.raw.length);
    if (piece.kind === "text") {
      // Most text has no `\r`: skip the regex then.
      text += piece.raw.includes("\r") ? piece.raw.replace(/\r\n/g, "\n") : piece.raw;
      continue;
    }
    const escape = cookEscape(piece.raw);
    if (escape.ok) text += escape.text;
    else problems.push({ code: "FL0103", span: { start: piece.start, end: piece.start + piece.raw.length }, message: escape.message });
  }
  flush();
  return parts;
}
