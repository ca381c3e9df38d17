import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "../../compiler/compile-ir.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import type { ModuleHost } from "../../compiler/modules.ts";
import { SourceFile } from "../../language/source-file.ts";
import { repoRoot } from "./run-cli.ts";

/** Every example program, `examples/NAME.flow`, sorted. */
export const exampleFiles: readonly string[] = readdirSync(join(repoRoot, "examples"))
  .filter((f) => f.endsWith(".flow"))
  .sort()
  .map((f) => `examples/${f}`);

const repoFiles: ModuleHost = {
  readFile: (path) => {
    try {
      return readFileSync(join(repoRoot, path), "utf8");
    } catch {
      return undefined;
    }
  },
};
const noImports: ModuleHost = { readFile: () => undefined };

/**
 * The IR of a program, compiled in this process; throws on any error,
 * naming it. `compile` verifies what it lowers, so its `irProblems` are
 * returned for the caller to look at.
 */
export function irOf(path: string, text?: string): { readonly ir: Ir; readonly irProblems: readonly { code: string; message: string }[] } {
  const source = text ?? readFileSync(join(repoRoot, path), "utf8");
  const result = compile(new SourceFile(path, source), text === undefined ? repoFiles : noImports);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || result.ir === undefined) throw new Error(`${path} does not compile:\n${errors.map((d) => `${d.code} ${d.message}`).join("\n")}`);
  return { ir: result.ir, irProblems: result.irProblems };
}
