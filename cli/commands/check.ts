import { check as checkProgram } from "../../compiler/compile.ts";
import type { Module } from "../../compiler/modules.ts";
import { byPosition, type Diagnostic } from "../../language/diagnostics/diagnostic.ts";
import { toJson } from "../../language/diagnostics/render-json.ts";
import { renderSummary, renderTerminal } from "../../language/diagnostics/render-terminal.ts";
import type { SourceFile } from "../../language/source-file.ts";
import { exitCodes } from "../exit-codes.ts";
import { fileHost } from "../file-host.ts";
import type { CommandIo } from "../io.ts";
import { expandPaths, readSource } from "../source-files.ts";

export interface CheckOptions {
  readonly paths: readonly string[];
  readonly json: boolean;
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
  for (const entry of entries) {
    const result = checkProgram(entry, fileHost, parsed);
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
  const perFile = [...sources.keys()].sort().map((path) => {
    const found = diagnostics.filter((d) => d.primary.span.file === path);
    return { path, errors: found.filter((d) => d.severity === "error").length, warnings: found.filter((d) => d.severity === "warning").length };
  });
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;

  if (options.json) {
    const report = { files: perFile, diagnostics: diagnostics.map((d) => toJson(d, sources)), summary: { files: sources.size, errors, warnings } };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const diagnostic of diagnostics) io.err(`${renderTerminal(diagnostic, sources, { color: io.colorErr })}\n\n`);
    io.err(`${renderSummary(errors, warnings, sources.size, { color: io.colorErr })}\n`);
  }
  return errors > 0 ? exitCodes.compileError : exitCodes.ok;
}
