import type { JsonSchema } from "./json-schema.ts";

/**
 * Schemas in the IR name the program's types with `{ "$ref":
 * "#/$defs/Name" }`; the IR's `types` are those `$defs`. (Kept apart from
 * the zod schemas so that code which only builds or reads IR does not load
 * zod.)
 */
export function typeRef(name: string): JsonSchema {
  return { $ref: `#/$defs/${name}` };
}

/** A schema of the IR as a document a JSON Schema validator takes on its own: the IR's types become its `$defs`. */
export function schemaWithDefs(schema: JsonSchema, types: Readonly<Record<string, JsonSchema>>): Record<string, unknown> {
  return { $schema: "https://json-schema.org/draft/2020-12/schema", ...schema, $defs: types };
}
