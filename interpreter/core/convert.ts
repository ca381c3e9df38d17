import type { JsonSchema } from "../../compiler/ir/json-schema.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import type { Span } from "../../compiler/ir/span.ts";
import { StdFailure } from "../../stdlib/runtime/implementation.ts";
import type { Json } from "../ledger/entry.ts";
import { placeOf } from "./source-place.ts";
import { validateValue } from "./validate-value.ts";
import { describeValue, textOf } from "./values.ts";

/** What a conversion reads of the IR: its named types, and its files' lines for where a failure is. */
export type Program = Pick<Ir, "types" | "sources">;

/**
 * `x as T` when it runs (grammar.md §10): text to numbers and unions,
 * numbers and `bool` to text, `int` to `float`, a list item by item and
 * to a smaller bound, `T?` to `T`, and `json` to any data type, validated.
 * A value that does not convert fails the body with `InvalidOutput`.
 */
export function convert(value: Json, from: JsonSchema, to: JsonSchema, span: Span, ir: Program): Json {
  const types = ir.types;
  const fail = (why: string): never => {
    throw new StdFailure("InvalidOutput", `cannot convert ${describeValue(value)} ${why} (at ${placeOf(span, ir.sources)})`, true);
  };
  const source = resolve(from, types);
  if (isJson(optionalInner(source))) return validated(value, to, span, ir);
  if (to.$ref !== undefined) {
    const named = types[to.$ref.slice("#/$defs/".length)];
    if (named === undefined) return fail(`to the unknown type ${to.$ref}`);
    return convert(value, source, named, span, ir);
  }
  if (to.anyOf !== undefined) {
    const [inner] = to.anyOf;
    return value === null || inner === undefined ? value : convert(value, optionalInner(source), inner, span, ir);
  }
  switch (to.type) {
    case "string": {
      const text = typeof value === "number" || typeof value === "boolean" ? textOf(value) : value;
      if (typeof text !== "string") return fail("to text");
      if (to.const !== undefined && text !== to.const) return fail(`to ${JSON.stringify(to.const)}`);
      if (to.enum !== undefined && !to.enum.includes(text)) return fail(`to one of ${to.enum.map((v) => JSON.stringify(v)).join(", ")}`);
      return text;
    }
    case "integer": {
      const number = typeof value === "string" ? parseNumber(value) : value;
      if (typeof number !== "number" || !Number.isInteger(number)) return fail("to a whole number");
      return number;
    }
    case "number": {
      const number = typeof value === "string" ? parseNumber(value) : value;
      if (typeof number !== "number") return fail("to a number");
      return number;
    }
    case "array": {
      if (!Array.isArray(value)) return fail("to a list");
      if (to.maxItems !== undefined && value.length > to.maxItems) return fail(`to a list of at most ${to.maxItems}`);
      const items = to.items;
      const fromItems = optionalInner(source).items ?? {};
      return items === undefined ? value : value.map((item) => convert(item, fromItems, items, span, ir));
    }
    default:
      return validated(value, to, span, ir);
  }
}

/** `json` to a data type: the value is checked against it, not converted. */
function validated(value: Json, to: JsonSchema, span: Span, ir: Program): Json {
  const problem = validateValue(value, to, ir.types);
  if (problem !== null) {
    throw new StdFailure("InvalidOutput", `the value does not fit the type it is converted to: ${problem} (at ${placeOf(span, ir.sources)})`, true);
  }
  return value;
}

function resolve(schema: JsonSchema, types: Readonly<Record<string, JsonSchema>>): JsonSchema {
  return schema.$ref === undefined ? schema : (types[schema.$ref.slice("#/$defs/".length)] ?? schema);
}

/** `json` is the schema with no constraint: `{}`, perhaps with a description. */
function isJson(schema: JsonSchema): boolean {
  return schema.type === undefined && schema.$ref === undefined && schema.anyOf === undefined && schema.not === undefined;
}

/** `T?` as the `T` it holds. */
function optionalInner(schema: JsonSchema): JsonSchema {
  return schema.anyOf?.[0] ?? schema;
}

/** A number written the way flow and JSON write one (`-3`, `0.8`, `1e5`); anything else is not a number. */
function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(trimmed) ? Number(trimmed) : undefined;
}
