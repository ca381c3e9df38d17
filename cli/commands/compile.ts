import { writeFileSync } from "node:fs";
import { compile as compileProgram, type CompileResult } from "../../compiler/compile-ir.ts";
import { irFileText } from "../../compiler/ir/hash.ts";
import { irPaths } from "../../compiler/lower/paths.ts";
import { toJson } from "../../language/diagnostics/render-json.ts";
import { renderSummary, renderTerminal } from "../../language/diagnostics/render-terminal.ts";
import type { SourceFile } from "../../language/source-file.ts";
import { stdModules } from "../../stdlib/index.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import { fileHost } from "../file-host.ts";
import type { CommandIo } from "../io.ts";
import { irProblemJson, problemCount, renderIrProblem } from "../ir-problems.ts";
import { expandPaths, readSource, whyUnwritable } from "../source-files.ts";

export interface CompileOptions {
  readonly path: string;
  /** Where to write the IR; standard output when undefined. */
  readonly output: string | undefined;
  readonly json: boolean;
  readonly strict: boolean;
}

/**
 * `flow compile FILE [-o OUT]`: checks the file as `flow check` does (the
 * same diagnostics and exit codes; nothing is written when there is an
 * error), lowers it and writes its IR as canonical JSON (RFC 8785) and a
 * newline, `{"hash":…,"ir":…}`, so that the same program gives the same
 * bytes everywhere. The hash goes to standard error. The IR is verified
 * first (`verifyIr`): one it refuses is a bug in the compiler, reported as
 * an internal error (exit 70) with the problems, and nothing is written.
 */
export function compile(options: CompileOptions, io: CommandIo): number {
  const files = expandPaths([options.path]);
  if (files.length !== 1 || files[0] !== options.path) {
    throw new UsageError(`\`flow compile\` takes one .flow file, and \`${options.path}\` is a directory`, {
      hint: "name the file whose workflows to compile, such as `flow compile examples/hello.flow`",
    });
  }
  const entry = readSource(options.path);
  const result = compileProgram(entry, fileHost, { strict: options.strict });
  const sources = new Map<string, SourceFile>([...result.graph.modules.values()].map((m) => [m.path, m.source]));
  const userFiles = [...sources.keys()].filter((path) => !stdModules.has(path)).length;
  const errors = result.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = result.diagnostics.filter((d) => d.severity === "warning").length;
  if (result.irProblems.length > 0) return unverified(result, sources, options, io);
  const compiled = result.ir === undefined ? undefined : irFileText(result.ir);

  if (compiled !== undefined && options.output !== undefined) {
    try {
      writeFileSync(options.output, compiled.text);
    } catch (error) {
      throw new UsageError(`cannot write \`${options.output}\`: ${whyUnwritable(error)}`);
    }
  }

  if (options.json) {
    const report = {
      file: entry.path,
      diagnostics: result.diagnostics.map((d) => toJson(d, sources)),
      summary: { files: userFiles, errors, warnings },
      ...(compiled === undefined ? {} : { hash: compiled.hash, output: options.output ?? null }),
      // Without `-o` the IR is part of the report, the one document on standard output.
      ...(compiled === undefined || options.output !== undefined ? {} : { ir: result.ir }),
    };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return compiled === undefined ? exitCodes.compileError : exitCodes.ok;
  }

  for (const diagnostic of result.diagnostics) io.err(`${renderTerminal(diagnostic, sources, { color: io.colorErr })}\n\n`);
  if (compiled === undefined) {
    io.err(`${renderSummary(errors, warnings, userFiles, { color: io.colorErr })}\n`);
    return exitCodes.compileError;
  }
  if (options.output === undefined) io.out(compiled.text);
  io.err(`compiled ${entry.path} → ${options.output ?? "standard output"} (sha256 ${compiled.hash})\n`);
  return exitCodes.ok;
}

/** The compiler produced IR it cannot verify: nothing is written, the problems are shown, and the exit is 70. */
function unverified(result: CompileResult, files: ReadonlyMap<string, SourceFile>, options: CompileOptions, io: CommandIo): number {
  const message = `the compiler produced IR it cannot verify (${problemCount(result.irProblems.length)})`;
  if (options.json) {
    io.out(`${JSON.stringify({ file: result.graph.entry.path, internalError: { message, problems: result.irProblems.map(irProblemJson) } }, null, 2)}\n`);
    return exitCodes.internal;
  }
  const path = irPaths(result.graph);
  const sources = new Map<string, SourceFile>([...result.graph.modules.values()].map((m) => [path(m.path), m.source]));
  for (const diagnostic of result.diagnostics) io.err(`${renderTerminal(diagnostic, files, { color: io.colorErr })}\n\n`);
  io.err(`flow: internal error: ${message}:\n\n`);
  for (const problem of result.irProblems) io.err(`${renderIrProblem(problem, sources, { color: io.colorErr })}\n\n`);
  io.err("This is a bug in flow; please report it with the command and input that caused it.\n");
  return exitCodes.internal;
}
