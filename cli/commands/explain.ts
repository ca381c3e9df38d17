import { readFileSync } from "node:fs";
import { diagnosticCodes, isDiagnosticCode } from "../../language/diagnostics/codes.ts";
import { closestName } from "../../language/closest-name.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { explainPagePath } from "../../language/diagnostics/explain-pages.ts";

/** `flow explain CODE`: the page for one code; with no code, the index of every code. */
export function explain(code: string | undefined, io: CommandIo): number {
  if (code === undefined) {
    for (const [known, { title }] of Object.entries(diagnosticCodes)) io.out(`${known}  ${title}\n`);
    return exitCodes.ok;
  }
  const normalized = code.trim().toUpperCase();
  if (!isDiagnosticCode(normalized)) {
    const close = closestName(normalized, Object.keys(diagnosticCodes));
    throw new UsageError(
      `\`${code}\` is not a diagnostic code${close === undefined ? "." : `; did you mean ${close}?`}`,
      { hint: "Run `flow explain` for the list." },
    );
  }
  io.out(readFileSync(explainPagePath(normalized), "utf8"));
  return exitCodes.ok;
}
