import { byPosition, hasErrors, type Diagnostic } from "../language/diagnostics/diagnostic.ts";
import type { SourceFile } from "../language/source-file.ts";
import { analyseBudgets, type BudgetOptions, type BudgetResult } from "./analyse-budgets.ts";
import { checkEffects, type EffectsResult } from "./check-effects.ts";
import { checkTypes, type TypeResult } from "./check-types.ts";
import { loadModules, type Module, type ModuleGraph, type ModuleHost } from "./modules.ts";
import { resolveNames, type NameResolution } from "./resolve-names.ts";

/** What each phase produced; a phase that did not run (an earlier one found errors) left its field unset. */
export interface CheckResult {
  readonly graph: ModuleGraph;
  readonly names?: NameResolution;
  readonly types?: TypeResult;
  /** The inferred effects of each unit of work, and each workflow's grants. */
  readonly effects?: EffectsResult;
  readonly budgets?: BudgetResult;
  /** Every diagnostic of the entry file and the files it imports, in source order per file. */
  readonly diagnostics: readonly Diagnostic[];
}

export interface CheckOptions extends BudgetOptions {
  /** Shared by several checks, so that files they have in common are parsed once. */
  readonly parsed?: Map<string, Module>;
}

/**
 * The compiler's pipeline, one phase per line, each a function from one
 * tree to the next. A phase runs only on a program the phases it depends on
 * found no errors in: a type error reported on top of a syntax error is
 * noise. Types and effects both need resolved names, and not each other, so
 * both report in one run; budgets need the types (a fan-out's width is its
 * list's bound). `compile` (compile-ir.ts) then lowers a clean program to
 * its IR and verifies that on its own; it lives apart so that `flow check`
 * never loads the lowering, the verifier or zod at start-up.
 */
export function check(entry: SourceFile, host: ModuleHost, options: CheckOptions = { strict: false }): CheckResult {
  const graph = loadModules(entry, host, options.parsed);
  const syntax = [...graph.modules.values()].flatMap((m) => m.parsed.diagnostics);
  const found: Diagnostic[] = [...syntax, ...graph.diagnostics];
  const done = (phases: Omit<CheckResult, "graph" | "diagnostics">): CheckResult => ({ graph, ...phases, diagnostics: found.sort(byPosition) });
  // A missing or cyclic import is a names problem: it does not stop the names phase.
  if (hasErrors(syntax)) return done({});

  const names = resolveNames(graph);
  found.push(...names.diagnostics);
  if (hasErrors(found)) return done({ names });

  const types = checkTypes(graph, names);
  const effects = checkEffects(graph, names);
  found.push(...types.diagnostics, ...effects.diagnostics);
  if (hasErrors(types.diagnostics)) return done({ names, types, effects });

  const budgets = analyseBudgets(graph, names, types, options);
  found.push(...budgets.diagnostics);
  return done({ names, types, effects, budgets });
}
