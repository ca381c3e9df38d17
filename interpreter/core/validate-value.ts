import type { JsonSchema } from "../../compiler/ir/json-schema.ts";
import type { Json } from "../ledger/entry.ts";
import { describeValue } from "./values.ts";

/**
 * Checks a value against a type of the IR: every value that crosses a node
 * boundary (arguments, results, a workflow's inputs) and every `as`
 * conversion from `json`. The IR's schemas are the subset `verifyIr`
 * admits (FL0508, docs/ir.md), so this covers exactly those forms and
 * says where a value differs in flow's terms: "`coverage` is the string
 * "high", not a number". A general JSON Schema validator would accept the
 * same values with less useful messages.
 *
 * Returns null when the value fits, else what is wrong.
 */
export function validateValue(value: Json, schema: JsonSchema, types: Readonly<Record<string, JsonSchema>>): string | null {
  return check(value, schema, types, "");
}

function check(value: Json, schema: JsonSchema, types: Readonly<Record<string, JsonSchema>>, path: string): string | null {
  const at = path === "" ? "" : `\`${path}\` `;
  if (schema.$ref !== undefined) {
    const named = types[schema.$ref.slice("#/$defs/".length)];
    if (named === undefined) return `${at}has the unknown type ${schema.$ref}`;
    return check(value, named, types, path);
  }
  if (schema.not !== undefined) return `${at}cannot have any value`;
  if (schema.anyOf !== undefined) {
    if (value === null) return null;
    const [inner] = schema.anyOf;
    return inner === undefined ? null : check(value, inner, types, path);
  }
  switch (schema.type) {
    case undefined:
      return null;
    case "null":
      return value === null ? null : `${at}is ${describeValue(value)}, not null`;
    case "boolean":
      return typeof value === "boolean" ? null : `${at}is ${describeValue(value)}, not a bool`;
    case "integer":
      return typeof value === "number" && Number.isInteger(value) ? null : `${at}is ${describeValue(value)}, not a whole number`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : `${at}is ${describeValue(value)}, not a number`;
    case "string":
      if (typeof value !== "string") return `${at}is ${describeValue(value)}, not a string`;
      if (schema.const !== undefined && value !== schema.const) return `${at}is ${JSON.stringify(value)}, not ${JSON.stringify(schema.const)}`;
      if (schema.enum !== undefined && !schema.enum.includes(value)) {
        return `${at}is ${JSON.stringify(value)}, not one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
      }
      return null;
    case "array": {
      if (!Array.isArray(value)) return `${at}is ${describeValue(value)}, not a list`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        return `${at}has ${value.length} items, more than its bound of ${schema.maxItems}`;
      }
      if (schema.items === undefined) return null;
      for (let i = 0; i < value.length; i++) {
        const problem = check(value[i] as Json, schema.items, types, `${path}[${i}]`);
        if (problem !== null) return problem;
      }
      return null;
    }
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return `${at}is ${describeValue(value)}, not a record`;
      const properties = schema.properties ?? {};
      for (const name of schema.required ?? []) {
        if (!Object.hasOwn(value, name)) return `${path === "" ? "" : `\`${path}\` `}has no field \`${name}\``;
      }
      for (const name of Object.keys(value).sort()) {
        const field = properties[name];
        const fieldPath = path === "" ? name : `${path}.${name}`;
        if (field === undefined) return `${at}has a field \`${name}\` its type does not have`;
        const problem = check(value[name] as Json, field, types, fieldPath);
        if (problem !== null) return problem;
      }
      return null;
    }
  }
}
