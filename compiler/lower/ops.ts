import type * as A from "../../language/ast.ts";
import type { Op } from "../ir/unit.ts";
import type { ModuleGraph } from "../modules.ts";
import { clauseEffects } from "./clauses.ts";

/**
 * The std functions and steps a program uses, each once, under an id that
 * pins the module's version: `std/sandbox:git.diff@1`. Listed sorted by id,
 * so the list does not depend on the order they are first met in.
 */
export class OpTable {
  private readonly owners = new Map<A.FnDecl, { readonly path: string; readonly version: number }>();
  private readonly ops = new Map<string, Op>();

  constructor(graph: ModuleGraph) {
    for (const module of graph.modules.values()) {
      if (module.std === undefined) continue;
      for (const decl of module.parsed.program.decls)
        if (decl.kind === "FnDecl") this.owners.set(decl, { path: module.std.path, version: module.std.version });
    }
  }

  idOf(fn: A.FnDecl): string {
    const owner = this.owners.get(fn);
    // Only std modules declare `fn`s (FL0206 elsewhere).
    if (owner === undefined) throw new Error(`internal: \`${fn.name.name}\` is not a std function`);
    const name = fn.namespace === null ? fn.name.name : `${fn.namespace.name}.${fn.name.name}`;
    const id = `${owner.path}:${name}@${owner.version}`;
    if (!this.ops.has(id)) {
      const effects = fn.clauses.find((c): c is A.EffectsClause => c.kind === "EffectsClause");
      this.ops.set(id, {
        id,
        module: owner.path,
        name,
        version: owner.version,
        kind: effects === undefined ? "function" : "step",
        effects: clauseEffects(effects),
      });
    }
    return id;
  }

  list(): Op[] {
    return [...this.ops.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
