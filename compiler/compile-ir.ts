import { hasErrors } from "../language/diagnostics/diagnostic.ts";
import type { SourceFile } from "../language/source-file.ts";
import { check, type CheckOptions, type CheckResult } from "./compile.ts";
import type { Ir } from "./ir/schema.ts";
import { lower } from "./lower.ts";
import type { ModuleHost } from "./modules.ts";
import { verifyIr, type IrProblem } from "./verify-ir.ts";

export interface CompileResult extends CheckResult {
  /** Undefined when the program has errors. */
  readonly ir: Ir | undefined;
  /**
   * What `verifyIr` found wrong with the IR: a bug in the compiler, since
   * the checker accepted the program. Such an IR must not be written.
   */
  readonly irProblems: readonly IrProblem[];
}

/**
 * Checks the program and, when it has no errors, lowers it to its IR
 * (docs/ir.md) and verifies the IR independently of the checker. A program
 * with errors has no IR: nothing downstream runs a plan the checker refused.
 */
export function compile(entry: SourceFile, host: ModuleHost, options: CheckOptions = { strict: false }): CompileResult {
  const checked = check(entry, host, options);
  if (hasErrors(checked.diagnostics)) return { ...checked, ir: undefined, irProblems: [] };
  const ir = lower(checked);
  return { ...checked, ir, irProblems: verifyIr(ir) };
}
