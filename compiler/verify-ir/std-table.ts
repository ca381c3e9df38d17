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
  /** The declaration itself: its parameters' types (an agent's tool is described to the model from them). */
  readonly signature: A.FnDecl;
  /** The `//` comment lines right above the declaration, without their slashes: what the function does, for people and models. */
  readonly doc: string;
}

export interface StdModuleTable {
  readonly version: number;
  readonly functions: ReadonlyMap<string, StdDeclaration>;
  /** The module's `type` declarations, by name. */
  readonly types: ReadonlyMap<string, A.TypeExpr>;
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
      const types = new Map<string, A.TypeExpr>();
      const { program, comments } = parse(new SourceFile(module.path, module.source));
      for (const decl of program.decls) {
        if (decl.kind === "TypeDecl") types.set(decl.name.name, decl.type);
        if (decl.kind !== "FnDecl") continue;
        const name = decl.namespace === null ? decl.name.name : `${decl.namespace.name}.${decl.name.name}`;
        const clause = decl.clauses.find((c): c is A.EffectsClause => c.kind === "EffectsClause");
        functions.set(name, {
          kind: clause === undefined ? "function" : "step",
          effects: normalEffects((clause?.effects ?? []).map(effectOf)),
          params: decl.params.map((p) => p.name.name),
          signature: decl,
          doc: docAbove(module.source, comments, decl.span.start),
        });
      }
      return [module.path, { version: module.version, functions, types }];
    }),
  );
  return table;
}

/**
 * The standard module that declares a name (`trim`: `std/text`; `Shell`, `git` of `git.diff`: `std/sandbox`), for
 * the help of a name that is not defined or not imported.
 */
export function stdModuleDeclaring(name: string): string | undefined {
  for (const [path, module] of stdTable()) {
    if (module.types.has(name)) return path;
    for (const declared of module.functions.keys()) if (declared === name || declared.startsWith(`${name}.`)) return path;
  }
  return undefined;
}

/** The line comments on the lines right above `start`, one paragraph, their `//` taken off. */
function docAbove(source: string, comments: readonly A.Comment[], start: number): string {
  const lines: string[] = [];
  let next = start;
  for (let i = comments.length - 1; i >= 0; i--) {
    const comment = comments[i] as A.Comment;
    if (comment.span.start >= next) continue;
    const between = source.slice(comment.span.end, next);
    if (comment.kind !== "LineComment" || between.trim() !== "" || between.split("\n").length !== 2) break;
    lines.unshift(comment.text.replace(/^\/\/ ?/, ""));
    next = comment.span.start;
  }
  return lines.join(" ").trim();
}

function effectOf(ref: A.EffectRef): Effect {
  const scope = ref.scope === null ? null : ref.scope.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
  return { name: ref.path.map((p) => p.name).join(".") as Effect["name"], scope };
}
