import type { Comment } from "../ast.ts";
import type { Span } from "../source-file.ts";
import { hasBlankLineOutsideComments } from "./source-gaps.ts";

/**
 * Column alignment for runs of similar lines, as in the language brief's
 * example (`type Package   = …` over `type Migration = …`, and likewise
 * consecutive `let`s): a run is a stretch of consecutive items that have a
 * key, are alike (`alike`) and have no blank line between them. Returns,
 * per item, the width its key is padded to, or null outside any run.
 *
 * Runs depend only on the tree and on blank lines, which the output keeps,
 * so formatting the output again finds the same runs.
 */
export function alignmentWidths<T extends { readonly span: Span }>(
  items: readonly T[],
  keyWidth: (item: T) => number | null,
  alike: (prev: T, item: T) => boolean,
  source: string,
  comments: readonly Comment[],
): (number | null)[] {
  const widths: (number | null)[] = items.map(() => null);
  let run: { index: number; width: number }[] = [];
  const close = (): void => {
    const width = Math.max(...run.map((entry) => entry.width));
    for (const entry of run) widths[entry.index] = width;
    run = [];
  };
  items.forEach((item, index) => {
    const width = keyWidth(item);
    const prev = items[index - 1];
    const continues =
      width !== null &&
      prev !== undefined &&
      run.length > 0 &&
      alike(prev, item) &&
      !hasBlankLineOutsideComments(source, comments, prev.span.end, item.span.start);
    if (!continues && run.length > 0) close();
    if (width !== null) run.push({ index, width });
  });
  if (run.length > 0) close();
  return widths;
}
