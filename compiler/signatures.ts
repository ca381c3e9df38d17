import type * as A from "../language/ast.ts";
import { AnnotationTypes } from "./type-of-annotation.ts";
import * as T from "./types.ts";

export type CalleeKind = "node" | "agent" | "verifier" | "workflow" | "function" | "step";

export interface Parameter {
  readonly name: string;
  readonly type: T.Type;
  /** A parameter of optional type may be left out; it is then `null`. */
  readonly optional: boolean;
  readonly span: A.Param["span"];
}

/** What a call needs to know about what it calls. */
export interface Signature {
  /** As a program writes it: `migrate_package`, `git.diff`. */
  readonly name: string;
  readonly kind: CalleeKind;
  readonly params: readonly Parameter[];
  readonly result: T.Type;
  /** Whether it has type or size variables to instantiate at each call (std functions only). */
  readonly generic: boolean;
}

const calleeKind: Record<A.CallableDecl["kind"], CalleeKind> = {
  NodeDecl: "node",
  AgentDecl: "agent",
  VerifierDecl: "verifier",
  WorkflowDecl: "workflow",
};

export function signatureOf(decl: A.CallableDecl | A.FnDecl, annotations: AnnotationTypes): Signature {
  if (decl.kind === "FnDecl") {
    const std = {
      typeParams: new Map(decl.typeParams.map((p) => [p.name.name, p])),
      intParams: new Set(decl.params.filter((p) => p.type.kind === "NamedType" && p.type.name.name === "int").map((p) => p.name.name)),
    };
    const params = decl.params.map((p) => parameter(p, annotations.typeOf(p.type, std)));
    const result = annotations.typeOf(decl.returnType, std);
    const generic = decl.typeParams.length > 0 || [...params.map((p) => p.type), result].some(hasVariables);
    return {
      name: decl.namespace === null ? decl.name.name : `${decl.namespace.name}.${decl.name.name}`,
      kind: decl.clauses.some((c) => c.kind === "EffectsClause") ? "step" : "function",
      params,
      result,
      generic,
    };
  }
  return {
    name: decl.name.name,
    kind: calleeKind[decl.kind],
    params: decl.params.map((p) => parameter(p, annotations.typeOf(p.type, undefined))),
    result: annotations.typeOf(decl.returnType, undefined),
    generic: false,
  };
}

function parameter(param: A.Param, type: T.Type): Parameter {
  return { name: param.name.name, type, optional: type.kind === "optional", span: param.span };
}

export function hasVariables(type: T.Type): boolean {
  switch (type.kind) {
    case "var":
      return true;
    case "list":
      return type.bound.kind === "var" || type.bound.kind === "param" || hasVariables(type.element);
    case "record":
      return type.fields.some((f) => hasVariables(f.type));
    case "optional":
      return hasVariables(type.inner);
    case "function":
      return type.params.some(hasVariables) || hasVariables(type.result);
    default:
      return false;
  }
}
