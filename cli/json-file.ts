import { readFileSync } from "node:fs";
import { SourceFile } from "../language/source-file.ts";
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
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    // V8 says where: "… in JSON at position 45".
    const at = /at position (\d+)/.exec(message);
    const where = at === null ? path : (({ line, column }) => `${path}:${line}:${column}`)(new SourceFile(path, text).position(Number(at[1])));
    throw new UsageError(`${where}: not JSON: ${message.replace(/ in JSON at position \d+.*$/, "")}`, { hint });
  }
}
