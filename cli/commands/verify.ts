import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { canonicalJson, sha256Hex } from "../../compiler/ir/hash.ts";
import { verifyIr } from "../../compiler/verify-ir.ts";
import { SourceFile } from "../../language/source-file.ts";
import { exitCodes } from "../exit-codes.ts";
import { readJsonFile } from "../json-file.ts";
import type { CommandIo } from "../io.ts";
import { irProblemJson, problemCount, renderIrProblem } from "../ir-problems.ts";

export interface VerifyOptions {
  readonly path: string;
  readonly json: boolean;
}

/**
 * `flow verify FILE.ir.json`: re-checks an IR (the file `flow compile`
 * writes, or a bare IR) on its own, as the interpreter does before it runs
 * one, and prints every problem: exit 0 when it verifies, 65 when it is
 * refused, 2 when the file cannot be read or is not JSON. The program's
 * sources are looked for beside the file, where `flow compile -o` in the
 * program's directory puts it; one whose sha256 is the IR's shows the
 * problem's place in it, line and column.
 */
export function verify(options: VerifyOptions, io: CommandIo): number {
  const document = readJsonFile(options.path, "`flow verify` reads the IR `flow compile` writes, such as `flow compile hello.flow -o hello.ir.json`");
  const problems = verifyIr(document);
  const ir = typeof document === "object" && document !== null && "ir" in document ? (document as { ir: unknown }).ir : document;
  const hash = problems.length === 0 ? sha256Hex(canonicalJson(ir)) : undefined;

  if (options.json) {
    io.out(`${JSON.stringify({ file: options.path, verified: problems.length === 0, ...(hash === undefined ? {} : { hash }), problems: problems.map(irProblemJson) }, null, 2)}\n`);
    return problems.length === 0 ? exitCodes.ok : exitCodes.compileError;
  }
  if (problems.length === 0) {
    io.err(`verified ${options.path}: no problems (sha256 ${hash})\n`);
    return exitCodes.ok;
  }
  const sources = sourcesBeside(options.path, ir);
  for (const problem of problems) io.err(`${renderIrProblem(problem, sources, { color: io.colorErr })}\n\n`);
  io.err(`${problemCount(problems.length)} in ${options.path}: the IR is refused\n`);
  return exitCodes.compileError;
}

/** The program's files, by the names the IR gives them, found beside the IR file with the text the IR was compiled from. */
function sourcesBeside(path: string, ir: unknown): Map<string, SourceFile> {
  const found = new Map<string, SourceFile>();
  const listed = typeof ir === "object" && ir !== null && Array.isArray((ir as { sources?: unknown }).sources) ? (ir as { sources: unknown[] }).sources : [];
  for (const entry of listed) {
    if (typeof entry !== "object" || entry === null) continue;
    const { path: name, sha256 } = entry as { path?: unknown; sha256?: unknown };
    if (typeof name !== "string" || typeof sha256 !== "string") continue;
    const candidate = join(dirname(path), name);
    if (!existsSync(candidate)) continue;
    try {
      const text = readFileSync(candidate, "utf8");
      if (sha256Hex(text) !== sha256) continue;
      const shown = relative(process.cwd(), candidate) || candidate;
      found.set(name, new SourceFile(shown.startsWith("..") ? candidate : shown, text));
    } catch {
      // Not readable: shown without it.
    }
  }
  return found;
}
