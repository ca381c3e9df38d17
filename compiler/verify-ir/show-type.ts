import type { JsonSchema } from "../ir/json-schema.ts";
import { refName } from "./schema-subset.ts";

const longest = 80;

/**
 * A schema as the flow type it stands for, for messages: `List<Package, max 200>`, `{ name: string, tag: string? }`.
 * Given the IR's `types`, a type written in place at a unit boundary, which the IR names after it (`main.xs`), is shown as written.
 */
export function showType(schema: JsonSchema, types?: Readonly<Record<string, JsonSchema>>): string {
  const text = show(schema, types);
  return text.length <= longest ? text : `${text.slice(0, longest - 1)}…`;
}

function show(schema: JsonSchema, types: Readonly<Record<string, JsonSchema>> | undefined): string {
  const show1 = (inner: JsonSchema) => show(inner, types);
  if (schema.$ref !== undefined) {
    const name = refName(schema.$ref);
    if (name === undefined) return schema.$ref;
    const defined = name.includes(".") && types !== undefined && Object.hasOwn(types, name) ? types[name] : undefined;
    return defined === undefined ? name : show1(defined);
  }
  if (schema.not !== undefined) return "never";
  if (schema.anyOf !== undefined) {
    const members = schema.anyOf.filter((m) => m.type !== "null");
    return members.length === 1 && schema.anyOf.length === 2 ? `${show1(members[0]!)}?` : schema.anyOf.map(show1).join(" | ");
  }
  const hinted = (plain: string): string => {
    const hint = schema.description;
    if (hint === undefined) return plain;
    if (hint.includes("duration")) return "duration";
    if (hint.includes("tokens")) return "tokens";
    if (hint.includes("dollars")) return "usd";
    if (hint.includes("fraction")) return "percent";
    return plain;
  };
  switch (schema.type) {
    case "string":
      if (schema.const !== undefined) return JSON.stringify(schema.const);
      if (schema.enum !== undefined) return schema.enum.map((e) => JSON.stringify(e)).join(" | ");
      return "string";
    case "integer":
      return hinted("int");
    case "number":
      return hinted("float");
    case "boolean":
      return "bool";
    case "null":
      return "null";
    case "array": {
      const items = schema.items === undefined ? "json" : show1(schema.items);
      return schema.maxItems === undefined ? `List<${items}>` : `List<${items}, max ${schema.maxItems}>`;
    }
    case "object": {
      const required = new Set(schema.required ?? []);
      const fields = Object.entries(schema.properties ?? {}).map(([name, s]) => {
        const shown = show1(s);
        return required.has(name) || shown.endsWith("?") ? `${name}: ${shown}` : `${name}?: ${shown}`;
      });
      return fields.length === 0 ? "{}" : `{ ${fields.join(", ")} }`;
    }
    case undefined:
      return "json";
  }
}
