import type { JsonSchema } from "../ir/json-schema.ts";
import type { Span } from "../ir/span.ts";
import type { Problems } from "./problem.ts";

/**
 * The JSON Schemas the verifier reasons about: exactly the forms the
 * lowering emits (docs/ir.md, "Types"), each with an optional
 * `description`, which constrains nothing:
 *
 * - `{}`: any value (`json`); `{"not":{}}`: no value (`never`);
 * - `{"$ref":"#/$defs/NAME"}`, NAME a key of the IR's `types`, alone;
 * - `{"type":"string"}`, with `const` or a non-empty `enum` of strings;
 * - `{"type":"integer"}`, `"number"`, `"boolean"`, `"null"`, alone;
 * - `{"type":"array","items":S}`, with `maxItems` or without;
 * - `{"type":"object","properties":…,"required":[…],"additionalProperties":false}`,
 *   all three, `required` naming properties, each once;
 * - `{"anyOf":[S,{"type":"null"}]}`: an optional `S`.
 *
 * Anything else (another keyword, another combination, an `anyOf` that is
 * not an optional) is refused with FL0508 rather than guessed at: the
 * subsumption check (subsumption.ts) is exact for these forms only.
 */
export class SchemaSubset {
  /** Whether each schema object seen is in the subset, with the types it refers to. */
  private readonly verdicts = new WeakMap<object, boolean>();

  constructor(
    private readonly types: Readonly<Record<string, JsonSchema>>,
    private readonly problems: Problems,
  ) {}

  /** The named type a `$ref` points to; undefined for a reference the IR does not define. */
  target(ref: string): JsonSchema | undefined {
    const name = refName(ref);
    return name !== undefined && Object.hasOwn(this.types, name) ? this.types[name] : undefined;
  }

  /**
   * Checks one schema where it stands in the IR, reporting what is outside
   * the subset (FL0508) or refers to a type that does not exist (FL0504);
   * true when the schema, and every type it refers to, is in the subset.
   */
  check(schema: JsonSchema, path: string, span: Span | null, what: string): boolean {
    const found = this.shapeProblem(schema, "");
    if (found !== undefined) {
      this.problems.add(found.unresolved ? "FL0504" : "FL0508", `${path}${found.at}`, span, `${what}: ${found.message}`, found.unresolved ? undefined : subsetHelp);
      return false;
    }
    return this.supported(schema);
  }

  /** In the subset, with every type it refers to (recursively): what subsumption may be asked about. */
  supported(schema: JsonSchema, seen: Set<object> = new Set()): boolean {
    const known = this.verdicts.get(schema);
    if (known !== undefined) return known;
    if (seen.has(schema)) return true;
    seen.add(schema);
    let ok = this.shapeProblem(schema, "", false) === undefined;
    if (ok) {
      if (schema.$ref !== undefined) {
        const target = this.target(schema.$ref);
        ok = target !== undefined && this.supported(target, seen);
      } else {
        for (const child of childSchemas(schema)) if (!this.supported(child, seen)) ok = false;
      }
    }
    this.verdicts.set(schema, ok);
    return ok;
  }

  /** The first thing outside the subset in a schema (its children included, `$ref` targets not), and where. */
  private shapeProblem(schema: JsonSchema, at: string, deep = true): { at: string; message: string; unresolved?: boolean } | undefined {
    const keys = Object.keys(schema).filter((k) => k !== "description");
    const only = (...allowed: string[]): string | undefined => keys.find((k) => !allowed.includes(k));
    const extra = (key: string | undefined, form: string) =>
      key === undefined ? undefined : { at: `${at}/${key}`, message: `\`${key}\` is not part of ${form} in the schemas the verifier supports` };
    if (schema.$ref !== undefined) {
      const wrong = extra(only("$ref"), "a `$ref`");
      if (wrong !== undefined) return wrong;
      if (refName(schema.$ref) === undefined) return { at: `${at}/$ref`, message: `\`${schema.$ref}\` is not a reference of the form \`#/$defs/NAME\`` };
      if (this.target(schema.$ref) === undefined)
        return { at: `${at}/$ref`, message: `the type \`${refName(schema.$ref)}\` is not in the IR's \`types\``, unresolved: true };
      return undefined;
    }
    if (schema.not !== undefined) {
      const wrong = extra(only("not"), "`not`");
      if (wrong !== undefined) return wrong;
      if (Object.keys(schema.not).length > 0) return { at: `${at}/not`, message: "only `{\"not\":{}}` (no value) is supported" };
      return undefined;
    }
    if (schema.anyOf !== undefined) {
      const wrong = extra(only("anyOf"), "an `anyOf`");
      if (wrong !== undefined) return wrong;
      const [inner, nul] = schema.anyOf;
      if (schema.anyOf.length !== 2 || inner === undefined || nul === undefined || !isNull(nul))
        return { at: `${at}/anyOf`, message: "an `anyOf` is supported only as an optional: `[T, {\"type\":\"null\"}]`" };
      return deep ? this.shapeProblem(inner, `${at}/anyOf/0`) : undefined;
    }
    switch (schema.type) {
      case undefined:
        return extra(keys[0], "a schema without `type`");
      case "string": {
        const wrong = extra(only("type", "const", "enum"), "a string schema");
        if (wrong !== undefined) return wrong;
        if (schema.const !== undefined && schema.enum !== undefined) return { at: `${at}/enum`, message: "a string schema has `const` or `enum`, not both" };
        if (schema.enum !== undefined && schema.enum.length === 0) return { at: `${at}/enum`, message: "an empty `enum` allows no value: write `{\"not\":{}}`" };
        return undefined;
      }
      case "integer":
      case "number":
      case "boolean":
      case "null":
        return extra(only("type"), `a schema of type \`${schema.type}\``);
      case "array": {
        const wrong = extra(only("type", "items", "maxItems"), "an array schema");
        if (wrong !== undefined) return wrong;
        if (schema.items === undefined) return { at, message: "an array schema without `items` is not supported: the lowering always says what the items are" };
        return deep ? this.shapeProblem(schema.items, `${at}/items`) : undefined;
      }
      case "object": {
        const wrong = extra(only("type", "properties", "required", "additionalProperties"), "an object schema");
        if (wrong !== undefined) return wrong;
        if (schema.properties === undefined || schema.required === undefined || schema.additionalProperties !== false)
          return { at, message: "an object schema is supported only with `properties`, `required` and `\"additionalProperties\": false`, as records are lowered" };
        const seen = new Set<string>();
        for (const [i, name] of schema.required.entries()) {
          if (!Object.hasOwn(schema.properties, name)) return { at: `${at}/required/${i}`, message: `\`${name}\` is required but is not one of the properties` };
          if (seen.has(name)) return { at: `${at}/required/${i}`, message: `\`${name}\` is required twice` };
          seen.add(name);
        }
        if (!deep) return undefined;
        for (const [name, property] of Object.entries(schema.properties)) {
          const found = this.shapeProblem(property, `${at}/properties/${escape(name)}`);
          if (found !== undefined) return found;
        }
        return undefined;
      }
    }
  }
}

const subsetHelp = "the verifier reasons only about the JSON Schemas the compiler emits (docs/ir.md, \"Verification\"): compile the program again";

export function refName(ref: string): string | undefined {
  const match = /^#\/\$defs\/(.+)$/.exec(ref);
  return match === null ? undefined : match[1]!.replace(/~1/g, "/").replace(/~0/g, "~");
}

export function isNull(schema: JsonSchema): boolean {
  return schema.type === "null" && Object.keys(schema).every((k) => k === "type" || k === "description");
}

function childSchemas(schema: JsonSchema): JsonSchema[] {
  return [...(schema.items === undefined ? [] : [schema.items]), ...Object.values(schema.properties ?? {}), ...(schema.anyOf ?? [])];
}

function escape(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}
