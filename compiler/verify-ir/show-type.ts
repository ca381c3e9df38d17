import type { JsonSchema } from "../ir/json-schema.ts";
import { refName } from "./schema-subset.ts";

const longest = 80;

/** A schema as the flow type it stands for, for messages: `List<Package, max 200>`, `{ name: string, tag: string? }`. */
export function showType(schema: JsonSchema): string {
  const text = show(schema);
  return text.length <= longest ? text : `${text.slice(0, longest - 1)}…`;
}

function show(schema: JsonSchema): string {
  if (schema.$ref !== undefined) return refName(schema.$ref) ?? schema.$ref;
  if (schema.not !== undefined) return "never";
  if (schema.anyOf !== undefined) {
    const members = schema.anyOf.filter((m) => m.type !== "null");
    return members.length === 1 && schema.anyOf.length === 2 ? `${show(members[0]!)}?` : schema.anyOf.map(show).join(" | ");
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
      const items = schema.items === undefined ? "json" : show(schema.items);
      return schema.maxItems === undefined ? `List<${items}>` : `List<${items}, max ${schema.maxItems}>`;
    }
    case "object": {
      const required = new Set(schema.required ?? []);
      const fields = Object.entries(schema.properties ?? {}).map(([name, s]) => {
        const shown = show(s);
        return required.has(name) || shown.endsWith("?") ? `${name}: ${shown}` : `${name}?: ${shown}`;
      });
      return fields.length === 0 ? "{}" : `{ ${fields.join(", ")} }`;
    }
    case undefined:
      return "json";
  }
}
