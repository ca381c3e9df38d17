import type { Comment } from "../ast.ts";

/**
 * Questions about the source text between two constructs. The tree keeps no
 * trivia, so the formatter reads blank lines (which it preserves) straight
 * from the text the tree was parsed from.
 */

/** True when `source[from, to)` contains a line break. */
export function hasNewline(source: string, from: number, to: number): boolean {
  for (let i = Math.max(0, from); i < to && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) return true;
  }
  return false;
}

/**
 * True when `source[from, to)` contains an empty or whitespace-only line,
 * i.e. two line breaks with nothing but whitespace between them.
 */
export function hasBlankLine(source: string, from: number, to: number): boolean {
  let breaks = 0;
  for (let i = Math.max(0, from); i < to && i < source.length; i++) {
    const ch = source.charCodeAt(i);
    if (ch === 10) {
      breaks++;
      if (breaks >= 2) return true;
    } else if (ch !== 32 && ch !== 9 && ch !== 13) {
      breaks = 0;
    }
  }
  return false;
}

/**
 * Like `hasBlankLine`, but a blank line inside a block comment does not
 * count: only the gaps between comments do, which is exactly where the
 * formatter itself prints blank lines. Decisions made from this (alignment
 * runs) therefore come out the same when the output is formatted again.
 * `comments` are sorted by offset.
 */
export function hasBlankLineOutsideComments(source: string, comments: readonly Comment[], from: number, to: number): boolean {
  // Comments never overlap, so their ends are sorted too: skip to the first one ending after `from`.
  let lo = 0;
  let hi = comments.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (comments[mid]!.span.end <= from) lo = mid + 1;
    else hi = mid;
  }
  let pos = from;
  for (let i = lo; i < comments.length; i++) {
    const c = comments[i]!;
    if (c.span.start >= to) break;
    if (hasBlankLine(source, pos, c.span.start)) return true;
    pos = Math.max(pos, c.span.end);
  }
  return hasBlankLine(source, pos, to);
}

/**
 * The offset just past the `delimiter` that closes a list whose last item
 * ends at `from`, for a delimiter the tree keeps no trace of (the `>` of a
 * `fn`'s type parameters): only whitespace, commas and comments can stand
 * between. `from` when it is not found (a tree built by hand has no source).
 * `comments` are sorted by offset.
 */
export function offsetPastDelimiter(source: string, comments: readonly Comment[], from: number, delimiter: string): number {
  let next = 0;
  let hi = comments.length;
  while (next < hi) {
    const mid = (next + hi) >> 1;
    if (comments[mid]!.span.start < from) next = mid + 1;
    else hi = mid;
  }
  let pos = from;
  while (pos < source.length) {
    const comment = comments[next];
    if (comment !== undefined && comment.span.start === pos) {
      pos = comment.span.end;
      next++;
      continue;
    }
    const ch = source[pos]!;
    if (ch === delimiter) return pos + 1;
    if (!/[\s,]/.test(ch)) break;
    pos++;
  }
  return from;
}
