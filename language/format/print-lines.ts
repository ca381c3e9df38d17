import { builders } from "prettier/doc";
import type { Comment } from "../ast.ts";
import type { Span } from "../source-file.ts";
import { printComment, printTrailingLineEnd } from "./comments.ts";
import type { PrintContext } from "./context.ts";
import { hasBlankLine, hasNewline } from "./source-gaps.ts";

type Doc = builders.Doc;
const { hardline } = builders;

export interface LinesOptions<T extends { readonly span: Span }> {
  readonly items: readonly T[];
  readonly print: (item: T, index: number) => Doc;
  /**
   * Whether a blank line goes between two items (before the comments that
   * lead the second), given whether the source had one there.
   */
  readonly blankBetween: (prev: T, item: T, sourceHadBlank: boolean) => boolean;
  /** Keep (at most one) blank line among leading comments and between them and their item. */
  readonly keepBlankLines: boolean;
  /**
   * Where the enclosing construct starts: comments before it are not its
   * own, and wait for the next place outside that takes comments.
   */
  readonly start: number;
  /** Pending comments before this offset are printed after the last item; null prints none. */
  readonly end: number | null;
}

/** A comment or an item, with the source range it stands for when reading gaps. */
interface Entry {
  readonly start: number;
  readonly end: number;
  readonly comment: Comment | null;
}

/**
 * One item per line (declarations, clauses, statements) with the comments
 * around them. Blank lines are read from the gaps between consecutive
 * entries. A comment that was taken over from an earlier construct (it
 * starts before the previous entry ended) counts as sitting right after
 * that entry, so the gaps, and with them the output, are the same when the
 * output is formatted again. Returns the lines' parts, to be preceded by a
 * line break; empty when there is nothing to print.
 */
export function printLines<T extends { readonly span: Span }>(ctx: PrintContext, options: LinesOptions<T>): Doc[] {
  const { source, comments: store } = ctx;
  const parts: Doc[] = [];
  let prevEnd = options.start;
  let prevItem: T | null = null;

  const entryOf = (c: Comment): Entry =>
    c.span.start < prevEnd ? { start: prevEnd, end: prevEnd, comment: c } : { start: c.span.start, end: c.span.end, comment: c };

  /** Prints comments, each followed by what separates it from the next entry. */
  const printComments = (entries: readonly Entry[], next: Entry | null): void => {
    entries.forEach((entry, i) => {
      const comment = entry.comment!;
      parts.push(printComment(comment));
      const following = entries[i + 1] ?? next;
      if (following === null) return;
      const breaks = comment.kind === "LineComment" || hasNewline(source, entry.end, following.start);
      if (!breaks) {
        parts.push(" ");
        return;
      }
      parts.push(hardline);
      if (options.keepBlankLines && hasBlankLine(source, entry.end, following.start)) parts.push(hardline);
    });
  };

  options.items.forEach((item, index) => {
    const leading = store.takeBetween(options.start, item.span.start).map(entryOf);
    const itemEntry: Entry = { start: item.span.start, end: item.span.end, comment: null };
    const first = leading[0] ?? itemEntry;
    if (prevItem !== null) {
      parts.push(hardline);
      if (options.blankBetween(prevItem, item, hasBlankLine(source, prevEnd, first.start))) parts.push(hardline);
    }
    printComments(leading, itemEntry);
    parts.push(options.print(item, index));
    const trailing = store.takeTrailing(item.span.end);
    parts.push(printTrailingLineEnd(trailing));
    prevEnd = Math.max(item.span.end, ...trailing.inline.map((c) => c.span.end), ...trailing.endOfLine.map((c) => c.span.end));
    prevItem = item;
  });

  if (options.end !== null) {
    const dangling = store.takeBetween(options.start, options.end).map(entryOf);
    const first = dangling[0];
    if (first !== undefined) {
      if (prevItem !== null) {
        parts.push(hardline);
        if (options.keepBlankLines && hasBlankLine(source, prevEnd, first.start)) parts.push(hardline);
      }
      printComments(dangling, null);
    }
  }
  return parts;
}
