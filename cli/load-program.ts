import { compile } from "../compiler/compile-ir.ts";
import { irHash } from "../compiler/ir/hash.ts";
import type { Ir } from "../compiler/ir/schema.ts";
import { verifyIr } from "../compiler/verify-ir.ts";
import { renderSummary, renderTerminal } from "../language/diagnostics/render-terminal.ts";
import type { SourceFile } from "../language/source-file.ts";
import { stdModules } from "../stdlib/index.ts";
import { exitCodes, UsageError } from "./exit-codes.ts";
import { readJsonFile } from "./json-file.ts";
import { fileHost } from "./file-host.ts";
import type { CommandIo } from "./io.ts";
import { problemCount } from "./ir-problems.ts";
import { readSource } from "./source-files.ts";

/**
 * The program a run executes: a `.flow` file, checked and compiled (its
 * errors printed as `flow check` prints them, exit 65; warnings printed,
 * the run goes on), or an IR file `flow compile` wrote. Either way only IR
 * that `verifyIr` accepts is returned: the interpreter runs nothing else.
 */
export function loadProgram(path: string, io: CommandIo): { readonly ir: Ir; readonly hash: string } | { readonly exit: number } {
  if (path.endsWith(".json")) return loadIrFile(path, io);
  const source = readSource(path);
  if (isLedger(source.text)) throw new UsageError(`\`${path}\` is a run's ledger, not a program`, { hint: `\`flow replay ${path}\` runs it again from its ledger; \`flow run\` takes a .flow file, or the IR \`flow compile -o\` writes` });
  const result = compile(source, fileHost);
  const sources = new Map<string, SourceFile>([...result.graph.modules.values()].map((m) => [m.path, m.source]));
  for (const diagnostic of result.diagnostics) io.err(`${renderTerminal(diagnostic, sources, { color: io.colorErr })}\n\n`);
  if (result.ir === undefined) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = result.diagnostics.length - errors;
    const files = [...sources.keys()].filter((p) => !stdModules.has(p)).length;
    io.err(`${renderSummary(errors, warnings, files, { color: io.colorErr })}\n`);
    return { exit: exitCodes.compileError };
  }
  if (result.irProblems.length > 0) {
    io.err(`flow: internal error: the compiler produced IR it cannot verify (${problemCount(result.irProblems.length)}); run \`flow compile ${path}\` for them\n`);
    return { exit: exitCodes.internal };
  }
  return { ir: result.ir, hash: irHash(result.ir) };
}

/** Whether a file's first line is the first entry of a ledger (`flow export` writes them), given where a program goes. */
function isLedger(text: string): boolean {
  if (!text.startsWith("{")) return false;
  try {
    const first = JSON.parse(text.slice(0, text.indexOf("\n") === -1 ? undefined : text.indexOf("\n"))) as unknown;
    return typeof first === "object" && first !== null && (first as { kind?: unknown }).kind === "run.started";
  } catch {
    return false;
  }
}

function loadIrFile(path: string, io: CommandIo): { readonly ir: Ir; readonly hash: string } | { readonly exit: number } {
  const document = readJsonFile(path, "`flow run` takes a .flow file, or the IR `flow compile -o` writes");
  const problems = verifyIr(document);
  if (problems.length > 0) {
    io.err(`flow: \`${path}\` is refused: ${problemCount(problems.length)}; \`flow verify ${path}\` shows them\n`);
    return { exit: exitCodes.compileError };
  }
  const ir = (typeof document === "object" && document !== null && "ir" in document ? document.ir : document) as Ir;
  return { ir, hash: irHash(ir) };
}
