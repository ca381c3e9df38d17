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
  conforms: pure((args) => validatorFor(arg.json(args, "schema"))(arg.json(args, "value"))),
};

function withLf(text: string): string {
  return text.replaceAll("\r\n", "\n");
}

function readFailure(error: unknown): null {
  if (error instanceof StdFailure) return null;
  throw error;
}
