import { byPosition, type Diagnostic } from "../language/diagnostics/diagnostic.ts";
import { hasErrors } from "../language/diagnostics/diagnostic.ts";
import type { SourceFile } from "../language/source-file.ts";
import { loadModules, type Module, type ModuleGraph, type ModuleHost } from "./modules.ts";
import { resolveNames, type NameResolution } from "./resolve-names.ts";

export interface CheckResult {
  readonly graph: ModuleGraph;
  readonly names: NameResolution | undefined;
  /** Every diagnostic of the entry file and the files it imports, in source order per file. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The compiler's pipeline, one phase per line, each a function from one
 * tree to the next. A phase runs only on a program the phases before it
 * found no errors in: a type error reported on top of a syntax error is
 * noise. Still to come (issue 3): types → effects → budgets → lower to IR
 * → verify the IR.
 */
/** `parsed` may be shared by several checks, so that files they have in common are parsed once. */
export function check(entry: SourceFile, host: ModuleHost, parsed?: Map<string, Module>): CheckResult {
  const graph = loadModules(entry, host, parsed);
  const syntax = [...graph.modules.values()].flatMap((m) => m.parsed.diagnostics);
  // A missing or cyclic import is a names problem: it does not stop the names phase.
  if (hasErrors(syntax)) return { graph, names: undefined, diagnostics: [...syntax, ...graph.diagnostics].sort(byPosition) };
  const names = resolveNames(graph);
  return { graph, names, diagnostics: [...syntax, ...graph.diagnostics, ...names.diagnostics].sort(byPosition) };
}
