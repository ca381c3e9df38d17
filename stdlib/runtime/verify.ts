import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { canonicalJson } from "../../compiler/ir/hash.ts";
import type { Json } from "../../interpreter/ledger/entry.ts";
import * as arg from "./arguments.ts";
import { pure, step } from "./define.ts";
import { type Implementation, StdFailure } from "./implementation.ts";

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

/**
 * Compiled validators by canonical schema text: a verifier checks many
 * values against one schema. Each schema gets an Ajv of its own, so two
 * schemas with the same `$id` cannot collide. `format` is an annotation,
 * as JSON Schema 2020-12 has it by default, and unknown keywords are
 * ignored, as the specification says.
 */
const validators = new Map<string, ValidateFunction>();
const maxValidators = 256;

function validatorFor(schema: Json): ValidateFunction {
  const key = canonicalJson(schema);
  let validate = validators.get(key);
  if (validate === undefined) {
    try {
      validate = new Ajv2020({ strict: false, validateFormats: false }).compile(schema as object | boolean);
    } catch (error) {
      throw new StdFailure("Failed", `the schema is not a JSON Schema (2020-12) that can be checked: ${(error as Error).message}`);
    }
    if (validators.size >= maxValidators) validators.clear();
    validators.set(key, validate);
  }
  return validate;
}
