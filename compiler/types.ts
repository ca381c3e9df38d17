/**
 * The checker's types. Structural: two records with the same fields are the
 * same type whatever they are called; `name` is kept only to print types
 * the way the program wrote them (`Package`, not `{ name: string, … }`).
 */
export type Type =
  | PrimitiveType
  | LiteralType
  | UnionType
  | ListType
  | RecordType
  | OptionalType
  | FunctionType
  | TypeVariable
  | { readonly kind: "null" }
  /** The element type of `[]`: fits every list. */
  | { readonly kind: "never" }
  /** A namespace such as `git`: only its members are values. */
  | { readonly kind: "namespace"; readonly name: string }
  /** Already reported: compatible with everything, so one mistake is reported once. */
  | { readonly kind: "error" };

/** `tokens`, `usd` and `percent` are the types of quantity literals (`200k`, `$0.60`, `5%`); programs cannot name them. */
export type PrimitiveName = "string" | "int" | "float" | "bool" | "duration" | "json" | "tokens" | "usd" | "percent";

export interface PrimitiveType {
  readonly kind: "primitive";
  readonly name: PrimitiveName;
}

/** A string literal as a type: `"approve"`. */
export interface LiteralType {
  readonly kind: "literal";
  readonly value: string;
  readonly name?: string;
}

/** A union of string literals: `"approve" | "revise"`. */
export interface UnionType {
  readonly kind: "union";
  readonly members: readonly string[];
  readonly name?: string;
}

/**
 * How many items a list may hold: a number, unknown (`none`), or, in a std
 * signature, a size variable or an `int` parameter.
 */
export type Bound =
  | { readonly kind: "fixed"; readonly max: number }
  | { readonly kind: "none" }
  | { readonly kind: "var"; readonly name: string }
  | { readonly kind: "param"; readonly name: string };

export interface ListType {
  readonly kind: "list";
  readonly element: Type;
  readonly bound: Bound;
  readonly name?: string;
}

export interface RecordField {
  readonly name: string;
  readonly type: Type;
}

export interface RecordType {
  readonly kind: "record";
  readonly fields: readonly RecordField[];
  readonly name?: string;
}

export interface OptionalType {
  readonly kind: "optional";
  readonly inner: Type;
  readonly name?: string;
}

export interface FunctionType {
  readonly kind: "function";
  readonly params: readonly Type[];
  readonly result: Type;
}

/** `T` in a std signature; `constraint` limits what it may stand for. */
export interface TypeVariable {
  readonly kind: "var";
  readonly name: string;
  readonly constraint: Constraint | null;
}

export type Constraint = "number" | "ordered";

export const constraints: readonly Constraint[] = ["number", "ordered"];

export const primitive = (name: PrimitiveName): PrimitiveType => ({ kind: "primitive", name });
export const string = primitive("string");
export const int = primitive("int");
export const float = primitive("float");
export const bool = primitive("bool");
export const duration = primitive("duration");
export const json = primitive("json");
export const errorType: Type = { kind: "error" };
export const nullType: Type = { kind: "null" };
export const never: Type = { kind: "never" };
export const unbounded: Bound = { kind: "none" };

export function list(element: Type, bound: Bound = unbounded): ListType {
  return { kind: "list", element, bound };
}

export function optional(inner: Type): Type {
  return inner.kind === "optional" || inner.kind === "null" || inner.kind === "error" ? inner : { kind: "optional", inner };
}

export function field(record: RecordType, name: string): Type | undefined {
  // A loop, not `find`: this is asked for every field of every record compared, and the closure cost more than the search.
  for (const f of record.fields) if (f.name === name) return f.type;
  return undefined;
}

const numeric = new Set<PrimitiveName>(["int", "float", "duration", "tokens", "usd"]);

export function isNumeric(type: Type): boolean {
  return type.kind === "primitive" && numeric.has(type.name);
}

/** Whether a value of the type is text: `string`, a literal, or a union of literals. */
export function isText(type: Type): boolean {
  return (type.kind === "primitive" && type.name === "string") || type.kind === "literal" || type.kind === "union";
}

export function satisfies(type: Type, constraint: Constraint): boolean {
  if (type.kind === "error" || type.kind === "never") return true;
  switch (constraint) {
    case "number":
      return isNumeric(type);
    case "ordered":
      return isNumeric(type) || isText(type);
  }
}

/** The type as a program would write it; named types by their name. */
export function show(type: Type): string {
  if ("name" in type && type.name !== undefined && type.kind !== "primitive" && type.kind !== "var" && type.kind !== "namespace") return type.name;
  switch (type.kind) {
    case "primitive":
      return type.name;
    case "literal":
      return JSON.stringify(type.value);
    case "union":
      return type.members.map((m) => JSON.stringify(m)).join(" | ");
    case "list": {
      const bound = type.bound;
      const max = bound.kind === "fixed" ? `, max ${bound.max}` : bound.kind === "none" ? "" : `, max ${bound.name}`;
      return `List<${show(type.element)}${max}>`;
    }
    case "record":
      return type.fields.length === 0 ? "{}" : `{ ${type.fields.map((f) => `${f.name}: ${show(f.type)}`).join(", ")} }`;
    case "optional":
      return type.inner.kind === "union" || type.inner.kind === "function" ? `(${show(type.inner)})?` : `${show(type.inner)}?`;
    case "function":
      return `(${type.params.map(show).join(", ")}) -> ${show(type.result)}`;
    case "var":
      return type.name;
    case "null":
      return "null";
    case "never":
      return "List<never>";
    case "namespace":
      return `namespace ${type.name}`;
    case "error":
      return "?";
  }
}

/** Why a value of one type does not fit another, or undefined when it fits. */
export type Mismatch =
  /** `from` and `to` are set inside a record, where the outer types alone do not say which part differs. */
  | { readonly kind: "types"; readonly from?: Type; readonly to?: Type }
  | { readonly kind: "null" }
  | { readonly kind: "bound"; readonly from: number | null; readonly to: number }
  | { readonly kind: "missingField"; readonly field: string }
  | { readonly kind: "extraField"; readonly field: string }
  | { readonly kind: "inField"; readonly field: string; readonly inner: Mismatch }
  | { readonly kind: "notMember"; readonly value: string };

/**
 * Whether a value of type `from` may stand where `to` is expected, with no
 * conversion: `int` widens to `float`, a literal is a `string`, anything
 * that is data is `json`, `T` fits `T?`. A list without a static bound fits
 * a bounded one: the bound is checked where the value is produced, when a
 * node returns it or a `let` declares it. A list whose bound is known and
 * larger does not fit.
 */
// The two commonest answers, shared: `join` and `equality` ask in both directions, and one of them usually fails.
const typesDiffer: Mismatch = { kind: "types" };
const mayBeNull: Mismatch = { kind: "null" };

export function mismatch(from: Type, to: Type): Mismatch | undefined {
  // A type fits itself: named types are resolved once, so a value of one usually meets the very same object.
  if (from === to || from.kind === "error" || to.kind === "error" || from.kind === "never") return undefined;
  if (to.kind === "optional") {
    if (from.kind === "null") return undefined;
    return mismatch(from.kind === "optional" ? from.inner : from, to.inner);
  }
  if (from.kind === "optional" || from.kind === "null") {
    if (to.kind === "primitive" && to.name === "json") return undefined;
    return from.kind === "null" || mismatch(from.inner, to) === undefined ? mayBeNull : typesDiffer;
  }
  switch (to.kind) {
    case "primitive":
      if (to.name === "json") return from.kind === "function" || from.kind === "namespace" || from.kind === "var" ? typesDiffer : undefined;
      if (to.name === "string" && (from.kind === "literal" || from.kind === "union")) return undefined;
      if (from.kind !== "primitive") return typesDiffer;
      if (from.name === to.name || (from.name === "int" && to.name === "float")) return undefined;
      return typesDiffer;
    case "literal":
      if (from.kind === "literal") return from.value === to.value ? undefined : { kind: "notMember", value: from.value };
      return typesDiffer;
    case "union":
      if (from.kind === "literal") return to.members.includes(from.value) ? undefined : { kind: "notMember", value: from.value };
      if (from.kind === "union") {
        const stray = from.members.find((m) => !to.members.includes(m));
        return stray === undefined ? undefined : { kind: "notMember", value: stray };
      }
      return typesDiffer;
    case "list": {
      if (from.kind !== "list") return typesDiffer;
      const inner = mismatch(from.element, to.element);
      if (inner !== undefined) return inner.kind === "types" ? typesDiffer : inner;
      if (to.bound.kind === "fixed" && from.bound.kind === "fixed" && from.bound.max > to.bound.max) {
        return { kind: "bound", from: from.bound.max, to: to.bound.max };
      }
      return undefined;
    }
    case "record": {
      if (from.kind !== "record") return typesDiffer;
      for (const wanted of to.fields) {
        const got = field(from, wanted.name);
        if (got === undefined) {
          if (wanted.type.kind === "optional") continue;
          return { kind: "missingField", field: wanted.name };
        }
        const inner = mismatch(got, wanted.type);
        if (inner !== undefined) return { kind: "inField", field: wanted.name, inner: inner.kind === "types" ? { kind: "types", from: got, to: wanted.type } : inner };
      }
      for (const f of from.fields) if (field(to, f.name) === undefined) return { kind: "extraField", field: f.name };
      return undefined;
    }
    case "function":
      if (from.kind !== "function" || from.params.length !== to.params.length) return typesDiffer;
      if (to.params.some((p, i) => mismatch(p, from.params[i]!) !== undefined)) return typesDiffer;
      return mismatch(from.result, to.result);
    case "var":
    case "null":
    case "never":
    case "namespace":
      return from.kind === to.kind ? undefined : typesDiffer;
  }
}

/** Says what a mismatch is about, for the message after "expects X but this is Y". */
export function explain(m: Mismatch): string | undefined {
  switch (m.kind) {
    case "types":
      return m.from === undefined || m.to === undefined ? undefined : `it is \`${show(widen(m.from))}\`, not \`${show(m.to)}\``;
    case "null":
      return "it may be null";
    case "bound":
      return `it may hold ${m.from} items, and at most ${m.to} are allowed`;
    case "missingField":
      return `field \`${m.field}\` is missing`;
    case "extraField":
      return `it has a field \`${m.field}\` that the type does not`;
    case "notMember":
      return `${JSON.stringify(m.value)} is not one of the allowed values`;
    case "inField": {
      // `field \`a.b\` is \`string\`, not \`int\``: the path to the innermost field that differs.
      const path = [m.field];
      let inner = m.inner;
      while (inner.kind === "inField") {
        path.push(inner.field);
        inner = inner.inner;
      }
      const name = `field \`${path.join(".")}\``;
      switch (inner.kind) {
        case "types":
          return inner.from === undefined || inner.to === undefined ? `in ${name}` : `${name} is \`${show(widen(inner.from))}\`, not \`${show(inner.to)}\``;
        case "null":
          return `${name} may be null`;
        case "bound":
          return `${name} may hold ${inner.from} items, and at most ${inner.to} are allowed`;
        case "missingField":
          return `${name} lacks its field \`${inner.field}\``;
        case "extraField":
          return `${name} has a field \`${inner.field}\` that the type does not`;
        case "notMember":
          return `in ${name}, ${JSON.stringify(inner.value)} is not one of the allowed values`;
      }
    }
  }
}

/** The smallest type both fit, for list literals and branches; undefined when there is none. */
export function join(a: Type, b: Type): Type | undefined {
  if (a.kind === "never" || a.kind === "error") return b;
  if (b.kind === "never" || b.kind === "error") return a;
  if (mismatch(a, b) === undefined) return b;
  if (mismatch(b, a) === undefined) return a;
  if (a.kind === "null") return optional(b);
  if (b.kind === "null") return optional(a);
  const textual = (t: Type): string[] | undefined => (t.kind === "literal" ? [t.value] : t.kind === "union" ? [...t.members] : undefined);
  const la = textual(a);
  const lb = textual(b);
  if (la !== undefined && lb !== undefined) return { kind: "union", members: [...new Set([...la, ...lb])] };
  if (isText(a) && isText(b)) return string;
  // Records join field by field, `[{ status: "ok" }, { status: "failed" }]`; a field only one of them
  // has is optional in the join, as a record may leave out an optional field.
  if (a.kind === "record" && b.kind === "record") {
    const fields: RecordField[] = [];
    for (const name of new Set([...a.fields, ...b.fields].map((f) => f.name))) {
      const fa = field(a, name);
      const fb = field(b, name);
      const joined = fa !== undefined && fb !== undefined ? join(fa, fb) : optional((fa ?? fb)!);
      if (joined === undefined) return undefined;
      fields.push({ name, type: joined });
    }
    return { kind: "record", fields };
  }
  if (a.kind === "list" && b.kind === "list") {
    const element = join(a.element, b.element);
    if (element === undefined) return undefined;
    const bound = a.bound.kind === "fixed" && b.bound.kind === "fixed" ? { kind: "fixed" as const, max: Math.max(a.bound.max, b.bound.max) } : unbounded;
    return list(element, bound);
  }
  return undefined;
}

/**
 * A literal's type as the `string` it is: what a `for` yields for `"clean"`, and how messages show a
 * literal where literals are not what the place is about (`"a" + 1` adds a `string`).
 */
export function widen(type: Type): Type {
  return type.kind === "literal" ? string : type;
}
