import { check as checkProgram } from "../../compiler/compile.ts";
import type { Module } from "../../compiler/modules.ts";
import { byPosition, type Diagnostic } from "../../language/diagnostics/diagnostic.ts";
import { toJson } from "../../language/diagnostics/render-json.ts";
import { renderSummary, renderTerminal } from "../../language/diagnostics/render-terminal.ts";
import type { SourceFile } from "../../language/source-file.ts";
import { stdModules } from "../../stdlib/index.ts";
import { exitCodes } from "../exit-codes.ts";
import { renderCostTables } from "../cost-table.ts";
import type { BudgetResult } from "../../compiler/analyse-budgets.ts";
import { formatAmount, units, type Amount, type CostVector, type Unit } from "../../compiler/cost.ts";
import { fileHost } from "../file-host.ts";
import type { CommandIo } from "../io.ts";
import { expandPaths, readSource } from "../source-files.ts";

export interface CheckOptions {
  readonly paths: readonly string[];
  readonly json: boolean;
  readonly strict: boolean;
}

/**
 * `flow check FILES`: every diagnostic of every file and of the files they
 * import, each once, in source order; exit 65 on any error.
 */
export function check(options: CheckOptions, io: CommandIo): number {
  const entries = expandPaths(options.paths).map(readSource);
  const sources = new Map<string, SourceFile>();
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const parsed = new Map<string, Module>();
  const budgets: BudgetResult[] = [];
  for (const entry of entries) {
    const result = checkProgram(entry, fileHost, { parsed, strict: options.strict });
    if (result.budgets !== undefined) budgets.push(result.budgets);
    // The standard library is part of the compiler, not a file the user checked; its text still renders a diagnostic that points into it.
    for (const module of result.graph.modules.values()) if (!sources.has(module.path)) sources.set(module.path, module.source);
    for (const d of result.diagnostics) {
      // A file imported by several checked files is reported once.
      const key = `${d.code} ${d.primary.span.file} ${d.primary.span.start} ${d.primary.span.end} ${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      diagnostics.push(d);
    }
  }
  diagnostics.sort(byPosition);
  const userFiles = [...sources.keys()].filter((path) => !stdModules.has(path)).sort();
  const perFile = userFiles.map((path) => {
    const found = diagnostics.filter((d) => d.primary.span.file === path);
    return { path, errors: found.filter((d) => d.severity === "error").length, warnings: found.filter((d) => d.severity === "warning").length };
  });
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;

  if (options.json) {
    const report = { files: perFile, diagnostics: diagnostics.map((d) => toJson(d, sources)), costs: distinctWorkflows(budgets).flatMap(costsJson), summary: { files: userFiles.length, errors, warnings } };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const diagnostic of diagnostics) io.err(`${renderTerminal(diagnostic, sources, { color: io.colorErr })}\n\n`);
    // A workflow imported by several checked files is priced once, under the file that declares it.
    if (errors === 0) for (const tables of distinctWorkflows(budgets)) if (tables.workflows.length > 0) io.out(`${renderCostTables(tables)}\n`);
    io.err(`${renderSummary(errors, warnings, userFiles.length, { color: io.colorErr })}\n`);
  }
  return errors > 0 ? exitCodes.compileError : exitCodes.ok;
}

function distinctWorkflows(results: readonly BudgetResult[]): BudgetResult[] {
  const seen = new Set<unknown>();
  return results.map((r) => {
    const workflows = r.workflows.filter((w) => !seen.has(w.decl) && seen.add(w.decl));
    return { ...r, workflows };
  });
}

function costsJson(result: BudgetResult) {
  const amount = (a: Amount, unit: Unit) => (a.kind === "finite" ? { value: a.value, text: formatAmount(a, unit) } : { [a.kind]: a.cause.what });
  const vector = (v: CostVector) => Object.fromEntries(units.map((u) => [u, amount(v[u], u)]));
  return result.workflows.map((w) => ({
    workflow: w.name,
    worst: vector(w.worst),
    ceiling: w.ceiling,
    verdicts: w.verdicts,
    vertices: result.vertices
      .filter((v) => v.workflow === w.name)
      .map((v) => ({ callee: v.callee, fanOut: v.fanOut, attempts: v.attempts, perAttempt: vector(v.perAttempt), worst: vector(v.worst) })),
  }));
}
