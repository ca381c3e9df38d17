import { hasVariables } from "./signatures.ts";
import * as T from "./types.ts";

/**
 * What one call of a generic std function binds its variables to: `T` in
 * `filter<T>(xs: List<T, max n>, …)` to the list's element type, `n` to its
 * bound, and `take`'s `n` to the constant its argument is.
 */
export class Instantiation {
  // Each map is made when first written: a generic call binds few variables, and
  // one is checked for nearly every list function called; most maps stayed empty.
  private typeMap: Map<string, T.Type> | undefined;
  private sizeMap: Map<string, T.Bound> | undefined;
  private constantMap: Map<string, number> | undefined;

  /** What each type variable stands for. */
  get types(): Map<string, T.Type> {
    return (this.typeMap ??= new Map());
  }

  /** What each size variable (`List<T, max n>`) stands for. */
  get sizes(): Map<string, T.Bound> {
    return (this.sizeMap ??= new Map());
  }

  /** The constant each `int` parameter named in a bound was given. */
  get constants(): Map<string, number> {
    return (this.constantMap ??= new Map());
  }

  /** Learns the variables in `param` from an argument of type `arg`. */
  unify(param: T.Type, arg: T.Type): void {
    if (arg.kind === "error") return;
    // `List<string>?` given for `List<T>`: learn `T` all the same, so the call is reported as "may be null".
    if (arg.kind === "optional" && param.kind !== "optional" && param.kind !== "var") return this.unify(param, arg.inner);
    switch (param.kind) {
      case "var": {
        const known = this.types.get(param.name);
        this.types.set(param.name, known === undefined ? arg : (T.join(known, arg) ?? known));
        return;
      }
      case "list":
        if (arg.kind !== "list") return;
        this.unify(param.element, arg.element);
        if (param.bound.kind === "var") {
          const known = this.sizes.get(param.bound.name);
          this.sizes.set(param.bound.name, known === undefined ? arg.bound : wider(known, arg.bound));
        }
        return;
      case "optional":
        this.unify(param.inner, arg.kind === "optional" ? arg.inner : arg);
        return;
      case "record":
        if (arg.kind !== "record") return;
        for (const f of param.fields) {
          const a = T.field(arg, f.name);
          if (a !== undefined) this.unify(f.type, a);
        }
        return;
      case "function":
        if (arg.kind !== "function") return;
        param.params.forEach((p, i) => arg.params[i] !== undefined && this.unify(p, arg.params[i]!));
        this.unify(param.result, arg.result);
        return;
      default:
        return;
    }
  }

  /** `param` with what is known put in; a variable nothing bound becomes `unknown`, or stays as it is. */
  apply(type: T.Type, unknown?: T.Type): T.Type {
    // A type without variables is itself, named as the program named it.
    if (!hasVariables(type)) return type;
    switch (type.kind) {
      case "var":
        return this.typeMap?.get(type.name) ?? unknown ?? type;
      case "list":
        return { ...T.list(this.apply(type.element, unknown), this.bound(type.bound)), ...(type.name === undefined ? {} : { name: type.name }) };
      case "record":
        return { kind: "record", fields: type.fields.map((f) => ({ name: f.name, type: this.apply(f.type, unknown) })) };
      case "optional":
        return T.optional(this.apply(type.inner, unknown));
      case "function":
        return { kind: "function", params: type.params.map((p) => this.apply(p, unknown)), result: this.apply(type.result, unknown) };
      default:
        return type;
    }
  }

  /** Whether every variable in the type is bound. */
  resolved(type: T.Type): boolean {
    switch (type.kind) {
      case "var":
        return this.typeMap?.has(type.name) ?? false;
      case "list":
        return this.resolved(type.element);
      case "record":
        return type.fields.every((f) => this.resolved(f.type));
      case "optional":
        return this.resolved(type.inner);
      case "function":
        return type.params.every((p) => this.resolved(p)) && this.resolved(type.result);
      default:
        return true;
    }
  }

  private bound(bound: T.Bound): T.Bound {
    switch (bound.kind) {
      case "var":
        return this.sizeMap?.get(bound.name) ?? T.unbounded;
      case "param": {
        const value = this.constantMap?.get(bound.name);
        return value === undefined ? T.unbounded : { kind: "fixed", max: value };
      }
      default:
        return bound;
    }
  }
}

function wider(a: T.Bound, b: T.Bound): T.Bound {
  return a.kind === "fixed" && b.kind === "fixed" ? { kind: "fixed", max: Math.max(a.max, b.max) } : T.unbounded;
}
