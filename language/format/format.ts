import { printer } from "prettier/doc";
import type { Comment, Program } from "../ast.ts";
import { CommentStore } from "./comments.ts";
import type { PrintContext } from "./context.ts";
import { printProgram } from "./print-decl.ts";

/** The canonical layout's line width and indentation step. */
export const printWidth = 100;
export const indentWidth = 2;

/**
 * `flow fmt`: the canonical text of a program. `comments` are those the
 * parser returned beside the tree; `sourceText` is the text both came from,
 * read only to keep blank lines and to place comments by offset (a tree
 * built by hand can pass no comments and ""). The tree must be free of
 * syntax errors: an error placeholder throws.
 */
export function formatProgram(program: Program, comments: readonly Comment[], sourceText: string): string {
  const ctx: PrintContext = { source: sourceText, comments: new CommentStore(comments, sourceText) };
  const doc = printProgram(program, ctx);
  const { formatted } = printer.printDocToString(doc, { printWidth, tabWidth: indentWidth, useTabs: false });
  // Nothing printed should end a line in whitespace (comments are trimmed,
  // strings escape theirs); this guard keeps a slip from reaching files.
  const text = formatted.replace(/[ \t]+$/gm, "").replace(/\n+$/, "");
  return text === "" ? "" : `${text}\n`;
}
