import { builders } from "prettier/doc";
import type { Comment } from "../ast.ts";
import { hasNewline } from "./source-gaps.ts";

type Doc = builders.Doc;
const { breakParent, hardline, join, lineSuffix, literalline } = builders;

/** Comments that follow a construct on its last line. */
export interface Trailing {
  /** Block comments hugging the construct, before any separator after it. */
  readonly inline: readonly Comment[];
  /** Comments that end the line: they must stay last on it. */
  readonly endOfLine: readonly Comment[];
}

const noTrailing: Trailing = { inline: [], endOfLine: [] };

/**
 * The comments of one file, handed out to the printer as it walks the tree
 * in source order. Each comment is printed exactly once: a comment the
 * printer cannot place precisely stays pending and is taken by the next
 * place that accepts comments (the next statement, declaration, clause or
 * list item), and whatever is left at the end goes to the end of the file,
 * so none is ever lost.
 */
export class CommentStore {
  /** Sorted by start offset. */
  readonly all: readonly Comment[];
  private readonly taken: boolean[];
  /** Every comment before this index has been taken. */
  private firstPending = 0;
  private suppressed = 0;

  constructor(
    comments: readonly Comment[],
    private readonly source: string,
  ) {
    this.all = [...comments].sort((a, b) => a.span.start - b.span.start);
    this.taken = this.all.map(() => false);
  }

  /**
   * Runs `print` with comment placement switched off, for code inside a
   * string's interpolation, where a comment would have to break the line
   * it is on: comments met there stay pending and surface at the next
   * place outside the string.
   */
  withoutComments<T>(print: () => T): T {
    this.suppressed++;
    try {
      return print();
    } finally {
      this.suppressed--;
    }
  }

  /** Takes every pending comment that starts before `offset`, in order. */
  takeBefore(offset: number): Comment[] {
    return this.takeBetween(Number.NEGATIVE_INFINITY, offset);
  }

  /** Takes the pending comments that start in `[from, to)`, in order. */
  takeBetween(from: number, to: number): Comment[] {
    if (this.suppressed > 0) return [];
    const out: Comment[] = [];
    for (let i = this.firstPending; i < this.all.length; i++) {
      const c = this.all[i]!;
      if (c.span.start >= to) break;
      if (!this.taken[i] && c.span.start >= from) {
        this.taken[i] = true;
        out.push(c);
      }
    }
    this.advance();
    return out;
  }

  /** Whether a pending comment starts in `[from, to)`. */
  hasPendingWithin(from: number, to: number): boolean {
    if (this.suppressed > 0) return false;
    for (let i = this.firstPending; i < this.all.length; i++) {
      const c = this.all[i]!;
      if (c.span.start >= to) break;
      if (!this.taken[i] && c.span.start >= from) return true;
    }
    return false;
  }

  /**
   * Takes the comments that follow a construct ending at `end` on the same
   * line, with nothing between but whitespace and list separators. A block
   * comment followed by more code on its line belongs to that code instead,
   * unless it hugs the construct (no separator between them).
   *
   * An expression's span stops short of the parentheses around it (they
   * leave no node), so where the construct is a bare expression whose
   * parentheses cannot belong to anything else, `closingParens` lets them
   * stand between it and its comment.
   */
  takeTrailing(end: number, options: { readonly closingParens?: boolean } = {}): Trailing {
    if (this.suppressed > 0) return noTrailing;
    const gapPattern = options.closingParens === true ? /^[ \t,;)]*$/ : /^[ \t,;]*$/;
    const inline: Comment[] = [];
    const endOfLine: Comment[] = [];
    let pos = end;
    let separated = false;
    for (let i = this.indexAtOrAfter(end); i < this.all.length; i++) {
      const c = this.all[i]!;
      if (this.taken[i]) {
        pos = Math.max(pos, c.span.end);
        continue;
      }
      const gap = this.source.slice(pos, c.span.start);
      if (!gapPattern.test(gap)) break;
      if (/[,;]/.test(gap)) separated = true;
      if (c.kind === "LineComment") {
        this.taken[i] = true;
        endOfLine.push(c);
        break;
      }
      if (endOfLine.length > 0 || this.restOfLineIsBlank(c.span.end, i + 1)) {
        endOfLine.push(c);
      } else if (!separated) {
        inline.push(c);
      } else {
        break;
      }
      this.taken[i] = true;
      pos = c.span.end;
    }
    this.advance();
    return inline.length === 0 && endOfLine.length === 0 ? noTrailing : { inline, endOfLine };
  }

  /** Whether only whitespace and comments follow `pos` up to the end of its line. */
  private restOfLineIsBlank(pos: number, nextComment: number): boolean {
    let p = pos;
    let next = nextComment;
    for (;;) {
      while (p < this.source.length && /[ \t\r]/.test(this.source[p]!)) p++;
      if (p >= this.source.length || this.source[p] === "\n") return true;
      const c = this.all[next];
      if (c === undefined || c.span.start !== p) return false;
      p = c.span.end;
      next++;
    }
  }

  private indexAtOrAfter(offset: number): number {
    let lo = this.firstPending;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.all[mid]!.span.start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private advance(): void {
    while (this.firstPending < this.all.length && this.taken[this.firstPending]) this.firstPending++;
  }

  /** Whether the source has a line break between a comment and what follows it. */
  breaksAfter(comment: Comment, nextStart: number): boolean {
    return comment.kind === "LineComment" || hasNewline(this.source, comment.span.end, nextStart);
  }
}

/**
 * A comment as written, minus trailing whitespace on each of its lines.
 * Continuation lines of a block comment keep their columns exactly
 * (`literalline`), so re-indenting the code around them never changes them.
 */
export function printComment(comment: Comment): Doc {
  if (comment.kind === "LineComment") return comment.text.trimEnd();
  const lines = comment.text.split("\n").map((l) => l.trimEnd());
  return lines.length === 1 ? lines[0]! : join(literalline, lines);
}

/**
 * Comments before an item inside a delimited list: each on its own line
 * when it was on its own line in the source (or is a line comment),
 * otherwise inline before the item.
 */
export function printLeadingInline(store: CommentStore, comments: readonly Comment[], itemStart: number): Doc {
  return comments.map((c, i) => {
    const nextStart = comments[i + 1]?.span.start ?? itemStart;
    return [printComment(c), store.breaksAfter(c, nextStart) ? hardline : " "];
  });
}

/** The inline part of trailing comments: printed right after the construct. */
export function printTrailingInline(trailing: Trailing): Doc {
  return trailing.inline.map((c) => [" ", printComment(c)]);
}

/**
 * The end-of-line part of trailing comments. `lineSuffix` defers them past
 * whatever else ends the line (a list separator), and `breakParent` keeps
 * the enclosing groups broken so that nothing follows them on the line.
 */
export function printTrailingEndOfLine(trailing: Trailing): Doc {
  if (trailing.endOfLine.length === 0) return "";
  return [lineSuffix(trailing.endOfLine.map((c) => [" ", printComment(c)])), breakParent];
}

/**
 * Trailing comments where the output always breaks the line after the
 * construct (a statement, a clause, an opening brace): all of them end
 * the line. Printing a hugging comment inline there would make the
 * comment count towards the line's width now but not when the output is
 * formatted again (it then ends its line), and the layout could differ.
 */
export function printTrailingLineEnd(trailing: Trailing): Doc {
  const all = [...trailing.inline, ...trailing.endOfLine];
  if (all.length === 0) return "";
  return [lineSuffix(all.map((c) => [" ", printComment(c)])), breakParent];
}

/** Trailing comments where code may follow on the same line. */
export function printTrailing(trailing: Trailing): Doc {
  return [printTrailingInline(trailing), printTrailingEndOfLine(trailing)];
}
