import { parse } from "../../language/parse.ts";
import type { Diagnostic } from "../../language/diagnostics/diagnostic.ts";
import { toJson } from "../../language/diagnostics/render-json.ts";
import { renderSummary, renderTerminal } from "../../language/diagnostics/render-terminal.ts";
import type { SourceFile } from "../../language/source-file.ts";
import { exitCodes } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { expandPaths, readSource } from "../source-files.ts";

export interface CheckOptions {
  readonly paths: readonly string[];
  readonly json: boolean;
}

/** `flow check FILES`: every diagnostic of every file, in source order; exit 65 on any error. */
export function check(options: CheckOptions, io: CommandIo): number {
  const sources = expandPaths(options.paths).map(readSource);
  const byFile = new Map<string, SourceFile>(sources.map((s) => [s.path, s]));
  const diagnostics: Diagnostic[] = [];
  const perFile = sources.map((source) => {
    const found = parse(source).diagnostics;
    diagnostics.push(...found);
    return {
      path: source.path,
      errors: found.filter((d) => d.severity === "error").length,
      warnings: found.filter((d) => d.severity === "warning").length,
    };
  });
  const errors = perFile.reduce((n, f) => n + f.errors, 0);
  const warnings = perFile.reduce((n, f) => n + f.warnings, 0);

  if (options.json) {
    const report = {
      files: perFile,
      diagnostics: diagnostics.map((d) => toJson(d, byFile)),
      summary: { files: sources.length, errors, warnings },
    };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const diagnostic of diagnostics) io.err(`${renderTerminal(diagnostic, byFile, { color: io.colorErr })}\n\n`);
    io.err(`${renderSummary(errors, warnings, sources.length, { color: io.colorErr })}\n`);
  }
  return errors > 0 ? exitCodes.compileError : exitCodes.ok;
}
