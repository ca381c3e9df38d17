import type * as A from "../language/ast.ts";
import type { Span } from "../language/source-file.ts";
import { repeatedFields } from "./repeated-fields.ts";
import type { Binding, Reference } from "./resolve-names.ts";
import * as T from "./types.ts";

/** Where std-only type syntax is allowed: `fn` signatures, with their type and size variables. */
export interface StdSignatureScope {
  readonly typeParams: ReadonlyMap<string, A.TypeParam>;
  readonly intParams: ReadonlySet<string>;
}

export interface AnnotationProblem {
  readonly code: "FL0221" | "FL0222" | "FL0225";
  readonly span: Span;
  readonly message: string;
  readonly label: string;
  readonly help?: string;
  readonly secondary?: readonly { readonly span: Span; readonly label: string }[];
  /** The declaration the problem is in: a named type may be reached from another file. */
  readonly decl: A.TypeDecl | undefined;
}

/**
 * Turns written types (`List<Package, max 200>`, `Review?`) into checker
 * types. Named types are resolved once each and remembered; a type that
 * contains itself is refused (FL0222): every value crosses node boundaries
 * as JSON, and a recursive type has no bound on its size.
 */
export class AnnotationTypes {
  private readonly named = new Map<A.TypeDecl, T.Type>();
  private readonly resolving = new Set<A.TypeDecl>();
  readonly problems: AnnotationProblem[] = [];

  constructor(private readonly references: ReadonlyMap<Reference, Binding>) {}

  typeOf(type: A.TypeExpr, std: StdSignatureScope | undefined, inDecl?: A.TypeDecl): T.Type {
    switch (type.kind) {
      case "NamedType": {
        const binding = this.references.get(type);
        if (binding === undefined) return T.errorType;
        switch (binding.kind) {
          case "primitive":
            return primitiveType(binding.name as T.PrimitiveName);
          case "typeParam": {
            const constraint = binding.param.constraint?.name;
            return { kind: "var", name: binding.param.name.name, constraint: constraint === "number" || constraint === "ordered" ? constraint : null };
          }
          case "declaration":
            return binding.decl.kind === "TypeDecl" ? this.declared(binding.decl, type.span, inDecl) : T.errorType;
          default:
            return T.errorType;
        }
      }
      case "ListType": {
        const element = this.typeOf(type.element, std, inDecl);
        const max = type.max;
        if (max === null) return T.list(element);
        if (max.kind === "NumberLit") return T.list(element, { kind: "fixed", max: max.value });
        if (std === undefined) {
          this.problems.push({
            code: "FL0221",
            span: max.span,
            message: "a list's bound is a number",
            label: "not a number",
            help: "write the most items the list may hold: `List<T, max 100>`",
            decl: inDecl,
          });
          return T.list(element);
        }
        return T.list(element, std.intParams.has(max.name) ? { kind: "param", name: max.name } : { kind: "var", name: max.name });
      }
      case "RecordType": {
        for (const repeat of repeatedFields(type.fields, "type")) this.problems.push({ code: "FL0225", ...repeat, decl: inDecl });
        const fields: T.RecordField[] = [];
        for (const f of type.fields) if (!fields.some((g) => g.name === f.name.name)) fields.push({ name: f.name.name, type: this.typeOf(f.type, std, inDecl) });
        return { kind: "record", fields };
      }
      case "OptionalType":
        return T.optional(this.typeOf(type.inner, std, inDecl));
      case "UnionType": {
        const members: string[] = [];
        for (const member of type.members) {
          const t = this.typeOf(member, std, inDecl);
          if (t.kind === "literal") members.push(t.value);
          else if (t.kind === "union") members.push(...t.members);
          else if (t.kind !== "error") {
            this.problems.push({
              code: "FL0221",
              span: member.span,
              message: "a union lists string literals",
              label: `\`${T.show(t)}\` is not a string literal`,
              help: 'write the values a field may take, such as `"approve" | "revise"`; for a value that may be missing, write `T?`',
              decl: inDecl,
            });
            return T.errorType;
          }
        }
        return { kind: "union", members: [...new Set(members)] };
      }
      case "LiteralType":
        return { kind: "literal", value: type.value };
      case "FunctionType":
        if (std === undefined) {
          this.problems.push({
            code: "FL0221",
            span: type.span,
            message: "a function type is not data",
            label: "not allowed here",
            help: "inputs and results cross node boundaries as JSON; lambdas are passed only to std functions such as `map` and `filter`",
            decl: inDecl,
          });
          return T.errorType;
        }
        return { kind: "function", params: type.params.map((p) => this.typeOf(p, std, inDecl)), result: this.typeOf(type.result, std, inDecl) };
      case "ErrorType":
        return T.errorType;
    }
  }

  /** The type a `type Name = …` declaration stands for, named after it. */
  declared(decl: A.TypeDecl, usedAt?: Span, from?: A.TypeDecl): T.Type {
    const known = this.named.get(decl);
    if (known !== undefined) return known;
    if (this.resolving.has(decl)) {
      // The types in between, when it contains itself through others: `Team` through `Person`.
      const chain = [...this.resolving];
      const through = chain.slice(chain.indexOf(decl) + 1).map((d) => `\`${d.name.name}\``);
      this.problems.push({
        code: "FL0222",
        span: usedAt ?? decl.name.span,
        message: `the type \`${decl.name.name}\` contains itself${through.length === 0 ? "" : `, through ${through.join(" and ")}`}`,
        label: "used inside its own definition",
        help: "values are JSON documents of bounded size; nest a bounded list of a separate type instead, or flatten the structure",
        decl: from,
      });
      this.named.set(decl, T.errorType);
      return T.errorType;
    }
    this.resolving.add(decl);
    const inner = this.typeOf(decl.type, undefined, decl);
    this.resolving.delete(decl);
    const named = nameType(inner, decl.name.name);
    if (!this.named.has(decl)) this.named.set(decl, named);
    return this.named.get(decl)!;
  }
}

// One object per primitive type: they are immutable, and written types name them over and over.
const primitives = new Map<T.PrimitiveName, T.PrimitiveType>();
function primitiveType(name: T.PrimitiveName): T.PrimitiveType {
  let type = primitives.get(name);
  if (type === undefined) primitives.set(name, (type = T.primitive(name)));
  return type;
}

// Each kind built out, not spread: a spread over types of every shape is slow, and a program declares thousands.
function nameType(type: T.Type, name: string): T.Type {
  switch (type.kind) {
    case "literal":
      return { kind: "literal", value: type.value, name };
    case "union":
      return { kind: "union", members: type.members, name };
    case "list":
      return { kind: "list", element: type.element, bound: type.bound, name };
    case "record":
      return { kind: "record", fields: type.fields, name };
    case "optional":
      return { kind: "optional", inner: type.inner, name };
    default:
      return type;
  }
}
