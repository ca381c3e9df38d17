import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { canonicalJson } from "../../compiler/ir/hash.ts";
import type { Json } from "../../interpreter/ledger/entry.ts";
import { StdFailure } from "./implementation.ts";

/**
 * Compiled validators by canonical schema text: a verifier checks many
 * values against one schema, an agent's loop every answer against its
 * result's. Each schema gets an Ajv of its own, so two schemas with the
 * same `$id` cannot collide. `format` is an annotation, as JSON Schema
 * 2020-12 has it by default, and unknown keywords are ignored, as the
 * specification says.
 */
const validators = new Map<string, ValidateFunction>();
const maxValidators = 256;

export function validatorFor(schema: Json): ValidateFunction {
  const key = canonicalJson(schema);
  let validate = validators.get(key);
  if (validate === undefined) {
    try {
      validate = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(schema as object | boolean);
    } catch (error) {
      throw new StdFailure("Failed", `the schema is not a JSON Schema (2020-12) that can be checked: ${(error as Error).message}`);
    }
    if (validators.size >= maxValidators) validators.clear();
    validators.set(key, validate);
  }
  return validate;
}

/** What a validator found, one line per error (the first `most`), each at its place in the value: `/findings/0/severity: must be one of "low", "high"`. */
export function schemaErrors(errors: readonly ErrorObject[] | null | undefined, most = 8): string {
  const lines = (errors ?? []).slice(0, most).map((error) => `${error.instancePath === "" ? "(the value)" : error.instancePath}: ${errorText(error)}`);
  const more = (errors?.length ?? 0) - lines.length;
  return [...lines, ...(more > 0 ? [`(and ${more} more)`] : [])].join("; ");
}

function errorText(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "enum":
      return `must be one of ${(params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(params["allowedValue"])}`;
    case "additionalProperties":
      return `has the field \`${String(params["additionalProperty"])}\`, which its type does not`;
    case "required":
      return `lacks the field \`${String(params["missingProperty"])}\``;
    default:
      return error.message ?? error.keyword;
  }
}
