import { readFileSync, writeFileSync } from "node:fs";
import { formatProgram } from "../../language/format/format.ts";
import { parse } from "../../language/parse.ts";
import { renderTerminal } from "../../language/diagnostics/render-terminal.ts";
import { SourceFile } from "../../language/source-file.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { expandPaths, readSource } from "../source-files.ts";

export interface FmtOptions {
  readonly paths: readonly string[];
  /** Format standard input to standard output. */
  readonly stdin: boolean;
  /** Write nothing; list the files whose layout differs and exit 1 if any. */
  readonly check: boolean;
}

type Outcome = { readonly kind: "unchanged" } | { readonly kind: "changed"; readonly text: string } | { readonly kind: "invalid" };

/**
 * `flow fmt FILES` rewrites files in the one canonical layout; `--stdin`
 * formats standard input to standard output. A file with syntax errors is
 * never rewritten: its errors are shown instead.
 */
export function fmt(options: FmtOptions, io: CommandIo): number {
  if (options.stdin && options.paths.length > 0) throw new UsageError("give files or --stdin, not both");
  if (!options.stdin && options.paths.length === 0) throw new UsageError("name the files to format, or use --stdin", { hint: "Run `flow fmt --help` for the options." });
  if (options.stdin) {
    const source = new SourceFile("<stdin>", readFileSync(0, "utf8"));
    const outcome = formatSource(source, io);
    if (outcome.kind === "invalid") return exitCodes.compileError;
    const text = outcome.kind === "changed" ? outcome.text : source.text;
    if (!options.check) io.out(text);
    return options.check && outcome.kind === "changed" ? exitCodes.failed : exitCodes.ok;
  }

  const paths = expandPaths(options.paths);
  let changed = 0;
  let invalid = 0;
  for (const path of paths) {
    const source = readSource(path);
    const outcome = formatSource(source, io);
    if (outcome.kind === "invalid") {
      invalid++;
    } else if (outcome.kind === "changed") {
      changed++;
      if (options.check) {
        io.out(`${source.path}\n`);
      } else {
        writeFileSync(path, outcome.text);
        io.err(`formatted ${source.path}\n`);
      }
    }
  }
  const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
  if (options.check && changed > 0) io.err(`${files(changed)} would be reformatted (run \`flow fmt\` on ${changed === 1 ? "it" : "them"})\n`);
  if (invalid > 0) io.err(`${files(invalid)} not formatted because of syntax errors\n`);
  if (invalid > 0) return exitCodes.compileError;
  return options.check && changed > 0 ? exitCodes.failed : exitCodes.ok;
}

function formatSource(source: SourceFile, io: CommandIo): Outcome {
  const parsed = parse(source);
  if (parsed.diagnostics.some((d) => d.severity === "error")) {
    const sources = new Map([[source.path, source]]);
    for (const d of parsed.diagnostics) io.err(`${renderTerminal(d, sources, { color: io.colorErr })}\n\n`);
    return { kind: "invalid" };
  }
  const text = formatProgram(parsed.program, parsed.comments, source.text);
  return text === source.text ? { kind: "unchanged" } : { kind: "changed", text };
}
