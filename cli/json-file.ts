import { readFileSync } from "node:fs";
import { jsonSyntaxError, showJsonSyntaxError } from "../stdlib/runtime/json-syntax-error.ts";
import { UsageError } from "./exit-codes.ts";
import { whyUnreadable } from "./source-files.ts";

/**
 * A JSON file a command reads (flow.config.json, a signed decision, a
 * signal's value): its value, or a one-line error that says where it is
 * not JSON, `file:line:column`, as the compiler's diagnostics do.
 */
export function readJsonFile(path: string, hint: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read \`${path}\`: ${whyUnreadable(error)}`);
  }
  return parseJsonFile(text, path, hint);
}

/** The text of the file `path` as JSON, or a one-line error at `path:line:column`. */
export function parseJsonFile(text: string, path: string, hint: string): unknown {
  return parseJson(text, hint, (error) => (error === undefined ? `${path}: not JSON` : `${path}:${error.line}:${error.column}: not JSON: expected ${error.expected}, found ${error.found}`));
}

/** JSON given on the command line (`--data`, `--arg`), or a one-line error naming it: `--arg xs is not JSON: at line 1, column 4: …`. */
export function parseJsonGiven(text: string, what: string, hint: string): unknown {
  return parseJson(text, hint, (error) => `${what} is not JSON${error === undefined ? "" : `: ${showJsonSyntaxError(error)}`}`);
}

/**
 * Says where the text stops being JSON and what was expected there in the
 * words of std/json's `parse` (json-syntax-error.ts), not V8's, which
 * quote the text, line breaks and all, and give an offset at best.
 */
function parseJson(text: string, hint: string, say: (error: ReturnType<typeof jsonSyntaxError>) => string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(say(jsonSyntaxError(text)), { hint });
  }
}
