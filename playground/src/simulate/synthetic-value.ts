import type { JsonSchema } from "../../../compiler/ir/json-schema.ts";
import { sha256Hex } from "../../../compiler/ir/hash.ts";
import type { Json } from "../../../interpreter/ledger/entry.ts";

/** Named types by name, as the IR's `types` (a `$ref` is `#/$defs/Name`). */
export type Types = Readonly<Record<string, JsonSchema>>;

/** How deep a recursive type is followed before an optional is left out and a list left empty. */
const maxDepth = 6;

/**
 * A value of a type, made up but deterministic: the same schema and seed
 * (a journal id, an argument's name) give the same value on every machine.
 * It takes the happy path wherever the type lets it choose: an optional is
 * present, a union is its first member, a boolean is true, a number is 1;
 * lists have two to four items (within their bound), so a fan-out over one
 * has something to count; text names the field it fills and a few hex
 * digits of the seed (`summary-3fa9c1`), so values of different steps are
 * told apart.
 */
export function syntheticValue(schema: JsonSchema, types: Types, seed: string): Json {
  return make(schema, types, seed, "value", 0);
}

/** A number from the seed and where the value sits: the same place always gets the same one. */
export function seeded(seed: string, place: string): number {
  return Number.parseInt(sha256Hex(`${seed}\u0000${place}`).slice(0, 8), 16);
}

/** Six hex digits of the seed and place, for text that is told apart but stays short. */
export function tag(seed: string, place: string): string {
  return sha256Hex(`${seed}\u0000${place}`).slice(0, 6);
}

function make(schema: JsonSchema, types: Types, seed: string, place: string, depth: number): Json {
  if (schema.$ref !== undefined) {
    const named = types[schema.$ref.slice("#/$defs/".length)];
    return named === undefined ? null : make(named, types, seed, place, depth + 1);
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined) return schema.enum[0] ?? null;
  if (schema.anyOf !== undefined) {
    // `T?` is `anyOf [T, null]`: present, unless a recursive type has gone deep enough.
    const present = schema.anyOf.find((s) => s.type !== "null");
    const absent = schema.anyOf.some((s) => s.type === "null");
    if (present === undefined || (absent && depth > maxDepth)) return null;
    return make(present, types, seed, place, depth + 1);
  }
  switch (schema.type) {
    case "string":
      return `${label(place)}-${tag(seed, place)}`;
    case "integer":
      return 1 + (seeded(seed, place) % 3);
    case "number":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "array": {
      const items = schema.items;
      if (items === undefined || depth > maxDepth) return [];
      const count = Math.min(schema.maxItems ?? 4, 2 + (seeded(seed, place) % 3));
      return Array.from({ length: count }, (_, i) => make(items, types, seed, `${place}[${i}]`, depth + 1));
    }
    case "object":
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, property]) => [
          name,
          make(property, types, seed, `${place}.${name}`, depth + 1),
        ]),
      );
    case undefined:
      // `json`: any value fits; an empty record is the least surprising one.
      return {};
  }
}

/** The field a value fills (`findings[1].quote` → `quote`), or the list it is an item of. */
function label(place: string): string {
  const last = place.split(".").pop() ?? place;
  return last.replace(/\[\d+\]/g, "") || "text";
}
