import { builders } from "prettier/doc";
import type { Span } from "../source-file.ts";
import { printComment, printLeadingInline, printTrailingEndOfLine, printTrailingInline } from "./comments.ts";
import type { PrintContext } from "./context.ts";

type Doc = builders.Doc;
const { breakParent, group, hardline, ifBreak, indent, line, lineSuffix, softline } = builders;

export interface ListOptions<T extends { readonly span: Span }> {
  readonly open: string;
  readonly close: string;
  readonly items: readonly T[];
  readonly print: (item: T) => Doc;
  /** `{ a, b }` pads inside the delimiters when flat; `[a, b]` and `(a, b)` do not. */
  readonly spaced: boolean;
  /**
   * Where the list begins (its opening delimiter, or an offset before it
   * past anything else): comments from before it are not the list's, and
   * wait for the next statement or declaration instead of moving inside.
   */
  readonly start: number;
  /**
   * Where the list's closing delimiter stands (or an offset just past it):
   * pending comments before it are printed inside, after the last item.
   */
  readonly end: number;
  /**
   * The items are bare expressions, whose spans exclude their parentheses,
   * in a list not closed by `)`: a `)` after an item is then the item's.
   */
  readonly bareExpressions?: boolean;
}

/**
 * A comma-separated list in delimiters: on one line when it fits,
 * otherwise one item per line with no trailing comma. Comments before an
 * item lead it; comments after it on its line trail it and force the list
 * to break so that they stay at the end of that line.
 */
export function printList<T extends { readonly span: Span }>(ctx: PrintContext, options: ListOptions<T>): Doc {
  const store = ctx.comments;
  const last = options.items.length - 1;
  const items: Doc[] = options.items.map((item, i) => {
    const leading = printLeadingInline(store, store.takeBetween(options.start, item.span.start), item.span.start);
    const doc = options.print(item);
    const trailing = store.takeTrailing(item.span.end, { closingParens: options.bareExpressions === true });
    // After the last item the list may end its line (when broken), so a
    // hugging comment there must print the way it will be read back.
    const inline =
      i < last || trailing.inline.length === 0
        ? printTrailingInline(trailing)
        : ifBreak(lineSuffix(printTrailingInline(trailing)), printTrailingInline(trailing));
    return [leading, doc, inline, i < last ? "," : "", printTrailingEndOfLine(trailing)];
  });
  const dangling = store.takeBetween(options.start, options.end);
  if (items.length === 0 && dangling.length === 0) return options.open + options.close;
  const inner: Doc[] = [];
  items.forEach((doc, i) => inner.push(i === 0 ? doc : [line, doc]));
  dangling.forEach((c, i) => inner.push(i === 0 && items.length === 0 ? printComment(c) : [hardline, printComment(c)]));
  const edge = options.spaced ? line : softline;
  return group([options.open, indent([edge, inner]), edge, options.close, dangling.length > 0 ? breakParent : ""]);
}
