import { normalize } from "node:path/posix";
import type { Json } from "../../interpreter/ledger/entry.ts";
import { escapeGlob } from "../../interpreter/sandbox/glob.ts";
import type { SandboxSession } from "../../interpreter/sandbox/sandbox.ts";
import * as arg from "./arguments.ts";
import { step } from "./define.ts";
import { StdFailure, type Step } from "./implementation.ts";
import { splitLines } from "./split-lines.ts";

/**
 * std/sandbox's `grep(pattern, path)`: the lines matching a JavaScript
 * regular expression (no flags) in the file `path`, or in every file below
 * the directory `path` (`"."` for the whole tree), each `{path, line,
 * text}` with `line` 1-based: files in sorted order, lines in file order.
 * Lines are split as `lines` splits them. Files with a NUL character are
 * binary and skipped, as grep skips them.
 *
 * A path with no file at or below it is a failure, not an empty result: a
 * misspelt directory would otherwise look like a clean search.
 */
export const grep: Step = step({
  idempotent: true,
  run: async ({ session }, args) => {
    const pattern = arg.string(args, "pattern");
    const path = arg.string(args, "path");
    let regex: RegExp;
    try {
      regex = new RegExp(pattern);
    } catch (error) {
      throw new StdFailure("Failed", `\`${pattern}\` is not a regular expression: ${(error as Error).message}`);
    }
    const files = await filesAt(session, path);
    if (files.length === 0) throw new StdFailure("Failed", `there is no file at or below \`${path}\` in the work tree`);
    const matches: Json[] = [];
    for (const file of files) {
      const text = await session.readFile(file);
      if (text.includes("\u0000")) continue;
      splitLines(text).forEach((line, i) => {
        if (regex.test(line)) matches.push({ path: file, line: i + 1, text: line });
      });
    }
    return matches;
  },
});

/** The file `path`, or the files below the directory `path`, sorted. */
async function filesAt(session: SandboxSession, path: string): Promise<string[]> {
  // `src/` is `src`; `/` stays absolute, for the session to refuse.
  const at = normalize(path).replace(/(.)\/+$/, "$1");
  if (at === "." || at === "") return session.listFiles("**");
  const exact = escapeGlob(at);
  const found = new Set([...(await session.listFiles(exact)), ...(await session.listFiles(`${exact}/**`))]);
  return [...found].sort();
}
