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
 * read only to keep blank lines and to place comments by offset. The tree
 * must be free of syntax errors.
 */
export function formatProgram(program: Program, comments: readonly Comment[], sourceText: string): string {
  const ctx: PrintContext = { source: sourceText, comments: new CommentStore(comments, sourceText) };
  const doc = printProgram(program, ctx);
  const { formatted } = printer.printDocToString(doc, { printWidth, tabWidth: indentWidth, useTabs: false });
  // Comment text is printed as written, so strip any trailing whitespace
  // here once rather than trusting every comment; strings escape theirs.
  const text = formatted.replace(/[ \t]+$/gm, "").replace(/\n+$/, "");
  return text === "" ? "" : `${text}\n`;
}
