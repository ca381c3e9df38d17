import type * as A from "../../language/ast.ts";
import { parse } from "../../language/parse.ts";
import { SourceFile } from "../../language/source-file.ts";
import { stdModules } from "../../stdlib/index.ts";
import type { Effect } from "../ir/effect.ts";
import { normalEffects } from "./effect-rules.ts";

/** What the standard library declares of one function or step, read from its declaration. */
export interface StdDeclaration {
  readonly kind: "step" | "function";
  readonly effects: readonly Effect[];
  readonly params: readonly string[];
}

export interface StdModuleTable {
  readonly version: number;
  readonly functions: ReadonlyMap<string, StdDeclaration>;
}

let table: ReadonlyMap<string, StdModuleTable> | undefined;

/**
 * The std modules this flow has (stdlib/index.ts), each at its version,
 * with the functions its `.flow` declarations declare (`git.diff` for
 * `fn git.diff`): a step is one with an `effects` clause. Read with the
 * parser only, once: the declarations are the one source of what an op
 * is, and the checker's phases are not consulted.
 */
export function stdTable(): ReadonlyMap<string, StdModuleTable> {
  table ??= new Map(
    [...stdModules.values()].map((module) => {
      const functions = new Map<string, StdDeclaration>();
      for (const decl of parse(new SourceFile(module.path, module.source)).program.decls) {
        if (decl.kind !== "FnDecl") continue;
        const name = decl.namespace === null ? decl.name.name : `${decl.namespace.name}.${decl.name.name}`;
        const clause = decl.clauses.find((c): c is A.EffectsClause => c.kind === "EffectsClause");
        functions.set(name, {
          kind: clause === undefined ? "function" : "step",
          effects: normalEffects((clause?.effects ?? []).map(effectOf)),
          params: decl.params.map((p) => p.name.name),
        });
      }
      return [module.path, { version: module.version, functions }];
    }),
  );
  return table;
}

function effectOf(ref: A.EffectRef): Effect {
  const scope = ref.scope === null ? null : ref.scope.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
  return { name: ref.path.map((p) => p.name).join(".") as Effect["name"], scope };
}
