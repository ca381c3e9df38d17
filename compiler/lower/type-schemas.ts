import type { JsonSchema } from "../ir/json-schema.ts";
import { canonicalJson } from "../ir/hash.ts";
import { typeRef } from "../ir/type-refs.ts";
import type * as T from "../types.ts";
import { DeclarationNames } from "./ids.ts";

/**
 * The program's types as JSON Schema (2020-12), and the IR's `types`
 * table. A named type (`type Package = …`) is written once, under its
 * name, and referred to with `$ref` everywhere else; an anonymous type
 * that crosses a unit boundary (a parameter or result written in place,
 * such as `List<Package, max 200>`) is named after that boundary,
 * `list_packages.result`, so that each boundary validates against one
 * named schema.
 *
 * Types are structural and a checker type keeps only the name of its
 * declaration, so two files declaring different `Release` types are told
 * apart by their structure: the second is `Release-2`.
 */
export class TypeSchemas {
  private readonly definitions: Record<string, JsonSchema> = {};
  private readonly keys = new DeclarationNames<string>();
  private readonly pending = new Map<string, T.Type>();
  private readonly identities = new WeakMap<T.Type, string>();

  /** Every type of `types`, written so far. */
  get table(): Record<string, JsonSchema> {
    return this.definitions;
  }

  /** Claims a named type's key now, so that keys follow declaration order; `emit` also writes it out. */
  declare(type: T.Type, emit: boolean): void {
    const key = this.keyOf(type);
    if (key !== undefined && emit) this.define(key, type);
  }

  /** The schema of a value of `type`; named types by reference. */
  schemaOf(type: T.Type): JsonSchema {
    const key = this.keyOf(type);
    if (key === undefined) return this.structure(type);
    this.define(key, type);
    return typeRef(key);
  }

  /**
   * The schema at a unit boundary: a record, list or union written in
   * place is named `boundary` (`list_packages.result`) in the table; other
   * types as `schemaOf` gives them.
   */
  boundarySchema(type: T.Type, boundary: string): JsonSchema {
    if (this.keyOf(type) !== undefined || !structured(type)) return this.schemaOf(type);
    if (!(boundary in this.definitions)) this.definitions[boundary] = this.structure(type);
    return typeRef(boundary);
  }

  private define(key: string, type: T.Type): void {
    if (key in this.definitions || this.pending.has(key)) return;
    // Marked first: a named type's structure refers to other named types, never to itself (FL0222).
    this.pending.set(key, type);
    this.definitions[key] = this.structure(type);
    this.pending.delete(key);
  }

  private keyOf(type: T.Type): string | undefined {
    if (
      !("name" in type) ||
      type.name === undefined ||
      type.kind === "primitive" ||
      type.kind === "var" ||
      type.kind === "namespace"
    )
      return undefined;
    let identity = this.identities.get(type);
    if (identity === undefined) {
      identity = `${type.name} ${canonicalJson(shape(type))}`;
      this.identities.set(type, identity);
    }
    return this.keys.claim(identity, type.name);
  }

  /** A type's own schema: named types inside it by reference, its own name not. */
  private structure(type: T.Type): JsonSchema {
    switch (type.kind) {
      case "primitive":
        return primitiveSchema[type.name];
      case "literal":
        return { type: "string", const: type.value };
      case "union":
        return { type: "string", enum: [...type.members] };
      case "list": {
        const items = this.schemaOf(type.element);
        // A bound that is not a number was a size variable of a std signature, settled by the call: none is left in a checked program.
        return type.bound.kind === "fixed" ? { type: "array", items, maxItems: type.bound.max } : { type: "array", items };
      }
      case "record": {
        const properties: Record<string, JsonSchema> = {};
        for (const field of type.fields) properties[field.name] = this.schemaOf(field.type);
        const required = type.fields.filter((f) => f.type.kind !== "optional").map((f) => f.name);
        return { type: "object", properties, required, additionalProperties: false };
      }
      case "optional":
        return { anyOf: [this.schemaOf(type.inner), { type: "null" }] };
      case "null":
        return { type: "null" };
      case "never":
        return { not: {} };
      case "function":
      case "var":
      case "namespace":
      case "error":
        // The checker leaves none of these on a value of a program without errors.
        throw new Error(`internal: a \`${type.kind}\` type has no JSON Schema`);
    }
  }
}

function structured(type: T.Type): boolean {
  return (
    type.kind === "record" ||
    type.kind === "list" ||
    type.kind === "union" ||
    (type.kind === "optional" && structured(type.inner))
  );
}

/** Quantities are numbers in their base unit; the schema says which, for readers. */
const primitiveSchema: Record<T.PrimitiveName, JsonSchema> = {
  string: { type: "string" },
  int: { type: "integer" },
  float: { type: "number" },
  bool: { type: "boolean" },
  json: {},
  duration: { type: "number", description: "a duration in milliseconds" },
  tokens: { type: "integer", description: "a number of tokens" },
  usd: { type: "number", description: "an amount of US dollars" },
  percent: { type: "number", description: "a fraction: 5% is 0.05" },
};

/** A type's whole structure, names included, as JSON: what tells two declarations with one name apart. */
function shape(type: T.Type): unknown {
  const name = "name" in type ? (type.name ?? null) : null;
  switch (type.kind) {
    case "primitive":
      return type.name;
    case "literal":
      return { literal: type.value, name };
    case "union":
      return { union: type.members, name };
    case "list":
      return { list: shape(type.element), bound: type.bound.kind === "fixed" ? type.bound.max : null, name };
    case "record":
      return { record: type.fields.map((f) => [f.name, shape(f.type)]), name };
    case "optional":
      return { optional: shape(type.inner), name };
    default:
      return type.kind;
  }
}
