import type { JsonSchema } from "../ir/json-schema.ts";
import { isNull, refName, type SchemaSubset } from "./schema-subset.ts";

/**
 * Structural subsumption of the JSON Schemas of schema-subset.ts: whether
 * every value `value` accepts is accepted by `target` (so a value of the
 * one type may cross into a parameter of the other and pass its
 * validation). Named types are unfolded; a pair met again while it is
 * being decided holds (recursive types, which the checker refuses anyway,
 * are compared co-inductively). Exact for the subset: a string `const` or
 * `enum` fits a string, an `enum` that includes it, or an optional of
 * either; `integer` fits `number`; a list fits a list whose items it fits
 * and whose `maxItems`, if any, is at least its own; a record fits a
 * record when the target requires no property the value may lack, has
 * every property the value may have, and each property fits; `T` and
 * `null` fit `T?`; anything fits `{}`, and `{"not":{}}` fits anything.
 */
export function fits(value: JsonSchema, target: JsonSchema, subset: SchemaSubset): boolean {
  return new Subsumption(subset).fits(value, target);
}

class Subsumption {
  private readonly assumed = new Map<JsonSchema, Set<JsonSchema>>();

  constructor(private readonly subset: SchemaSubset) {}

  fits(a: JsonSchema, b: JsonSchema): boolean {
    const value = this.unfold(a);
    const target = this.unfold(b);
    if (value === undefined || target === undefined) return false;
    let pairs = this.assumed.get(value);
    if (pairs?.has(target)) return true;
    if (pairs === undefined) this.assumed.set(value, (pairs = new Set()));
    pairs.add(target);
    const result = this.decide(value, target);
    pairs.delete(target);
    return result;
  }

  /** A `$ref` followed to the type it names, through chains of names. */
  private unfold(schema: JsonSchema): JsonSchema | undefined {
    let at: JsonSchema | undefined = schema;
    for (let hops = 0; at?.$ref !== undefined; hops++) {
      if (hops > 64 || refName(at.$ref) === undefined) return undefined;
      at = this.subset.target(at.$ref);
    }
    return at;
  }

  private decide(value: JsonSchema, target: JsonSchema): boolean {
    if (isAny(target)) return true;
    if (isNever(value)) return true;
    // An optional value fits when both what it holds and null do.
    if (value.anyOf !== undefined) return value.anyOf.every((member) => this.fits(member, target));
    if (target.anyOf !== undefined) return target.anyOf.some((member) => this.fits(value, member));
    if (isAny(value) || isNever(target)) return false;
    switch (value.type) {
      case "null":
        return isNull(target);
      case "boolean":
        return target.type === "boolean";
      case "integer":
        return target.type === "integer" || target.type === "number";
      case "number":
        return target.type === "number";
      case "string":
        return target.type === "string" && this.strings(value, target);
      case "array":
        return target.type === "array" && this.arrays(value, target);
      case "object":
        return target.type === "object" && this.records(value, target);
      default:
        return false;
    }
  }

  private strings(value: JsonSchema, target: JsonSchema): boolean {
    const allowed = target.const !== undefined ? [target.const] : target.enum;
    if (allowed === undefined) return true;
    const possible = value.const !== undefined ? [value.const] : value.enum;
    // A plain string may be any string: no `const` or `enum` holds all of them.
    return possible !== undefined && possible.every((s) => allowed.includes(s));
  }

  private arrays(value: JsonSchema, target: JsonSchema): boolean {
    if (target.maxItems !== undefined && (value.maxItems === undefined || value.maxItems > target.maxItems)) return false;
    // A list of at most 0 items holds no item to check.
    if (value.maxItems === 0) return true;
    return this.fits(value.items ?? {}, target.items ?? {});
  }

  private records(value: JsonSchema, target: JsonSchema): boolean {
    const has = value.properties ?? {};
    const wants = target.properties ?? {};
    const present = new Set(value.required ?? []);
    for (const name of target.required ?? []) if (!present.has(name)) return false;
    for (const [name, schema] of Object.entries(has)) {
      if (Object.hasOwn(wants, name)) {
        if (!this.fits(schema, wants[name]!)) return false;
      } else if (target.additionalProperties === false && !isNever(this.unfold(schema) ?? schema)) return false;
    }
    // A value that may have properties it does not list fits only a target that allows any.
    if (value.additionalProperties !== false) {
      if (target.additionalProperties === false) return false;
      for (const [name, schema] of Object.entries(wants)) if (!Object.hasOwn(has, name) && !isAny(schema)) return false;
    }
    return true;
  }
}

function isAny(schema: JsonSchema): boolean {
  return Object.keys(schema).every((k) => k === "description");
}

function isNever(schema: JsonSchema): boolean {
  return schema.not !== undefined && Object.keys(schema.not).length === 0;
}
