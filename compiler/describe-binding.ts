import type * as A from "../language/ast.ts";
import type { Binding } from "./resolve-names.ts";

/** What a name is, in the words of a message: "node", "`for` variable", "namespace of `std/sandbox`". */
const declarationWord: Record<A.Decl["kind"], string> = {
  TypeDecl: "type",
  ModelsDecl: "model route",
  NodeDecl: "node",
  AgentDecl: "agent",
  VerifierDecl: "verifier",
  WorkflowDecl: "workflow",
  ImportDecl: "import",
  FnDecl: "pure function",
};

export function describe(binding: Binding): string {
  switch (binding.kind) {
    case "declaration":
      // A std function with effects is a step: it runs in the node's sandbox.
      if (binding.decl.kind === "FnDecl" && binding.decl.clauses.some((c) => c.kind === "EffectsClause")) return "step";
      return declarationWord[binding.decl.kind];
    case "namespace":
      return `namespace of \`${binding.module}\``;
    case "typeParam":
      return "type parameter";
    case "param":
      return "parameter";
    case "let":
      return "`let`";
    case "for":
      return "`for` variable";
    case "lambda":
      return "lambda parameter";
    case "primitive":
      return "primitive type";
    case "unresolved":
      return "name whose import failed";
  }
}

export function article(what: string): string {
  return /^[aeiou]/i.test(what) ? `an ${what}` : `a ${what}`;
}
