import type { Json } from "../../interpreter/ledger/entry.ts";
import * as arg from "./arguments.ts";
import { pure, step } from "./define.ts";
import { type Implementation, StdFailure } from "./implementation.ts";
import { validatorFor } from "./schema-validators.ts";

/**
 * std/verify (stdlib/verify.flow): the checks verifiers make of what a
 * model proposed. An empty quote anchors nothing, so it never resolves:
 * otherwise a model could cite `""` and pass every check.
 */
export const verifyImplementations: Readonly<Record<string, Implementation>> = {
  anchors_resolve: pure((args) =>
    arg.list(args, "anchors").every((anchor, i) => {
      const fields = arg.recordOf(anchor, `anchors[${i}]`);
      const quote = arg.string(fields, "quote");
      return quote !== "" && arg.string(fields, "source").includes(quote);
    }),
  ),
  /**
   * A file that cannot be read (missing, outside the work tree) does not
   * contain the quote: the anchor fails to resolve, which is the verdict,
   * not an error. Each file is read once. Idempotent: it only reads.
   */
  anchors_in_files: step({
    idempotent: true,
    run: async ({ session }, args) => {
      const texts = new Map<string, string | null>();
      for (const [i, anchor] of arg.list(args, "anchors").entries()) {
        const fields = arg.recordOf(anchor, `anchors[${i}]`);
        const quote = withLf(arg.string(fields, "quote"));
        const path = arg.string(fields, "path");
        if (!texts.has(path)) texts.set(path, await session.readFile(path).then(withLf, readFailure));
        const text = texts.get(path);
        if (quote === "" || text === null || text === undefined || !text.includes(quote)) return false;
      }
      return true;
    },
  }),
  completed: pure((args) => {
    const value = arg.json(args, "value");
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    return arg.list(args, "fields").every((field) => typeof field === "string" && Object.hasOwn(value, field) && !empty(value[field] ?? null));
  }),
  conforms: pure((args) => validatorFor(arg.json(args, "schema"))(arg.json(args, "value"))),
};

/** Nothing a model could be said to have returned: null, blank text, an empty list or record. */
function empty(value: Json): boolean {
  if (value === null) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

function withLf(text: string): string {
  return text.replaceAll("\r\n", "\n");
}

function readFailure(error: unknown): null {
  if (error instanceof StdFailure) return null;
  throw error;
}
