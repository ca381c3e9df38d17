import { styleText } from "node:util";
import type { IrProblem } from "../compiler/verify-ir.ts";
import type { Diagnostic } from "../language/diagnostics/diagnostic.ts";
import { renderTerminal } from "../language/diagnostics/render-terminal.ts";
import type { SourceFile } from "../language/source-file.ts";

type Style = Parameters<typeof styleText>[0];

/**
 * A problem `verifyIr` found, for a terminal. With the source its span is
 * in (`sources`, by the file name the IR uses), it is shown as a
 * diagnostic is, the span underlined and labelled with where the problem
 * is in the IR; without it, the IR's pointer and the span's offsets.
 */
export function renderIrProblem(problem: IrProblem, sources: ReadonlyMap<string, SourceFile>, options: { readonly color: boolean }): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text) : text);
  const source = problem.span === null ? undefined : sources.get(problem.span.file);
  if (problem.span !== null && source !== undefined && problem.span.end <= source.text.length) {
    const diagnostic: Diagnostic = {
      code: problem.code,
      severity: "error",
      message: problem.message,
      primary: { span: { file: source.path, start: problem.span.start, end: problem.span.end }, label: `the IR at ${problem.path}` },
      secondary: [],
      ...(problem.help === undefined ? {} : { help: problem.help }),
    };
    return renderTerminal(diagnostic, new Map([[source.path, source]]), options);
  }
  const blue = (text: string) => paint(["blue", "bold"], text);
  const lines = [`${paint(["red", "bold"], `error[${problem.code}]`)}${paint("bold", `: ${problem.message}`)}`];
  const where = problem.span === null ? "" : ` (${problem.span.file}, offsets ${problem.span.start}..${problem.span.end})`;
  lines.push(`  ${blue("-->")} ${problem.path || "/"}${where}`);
  if (problem.help !== undefined) lines.push(`   ${blue("=")} ${paint("bold", "help")}: ${problem.help}`);
  return lines.join("\n");
}

/** As data, for `--json`: the problem as `verifyIr` gives it. */
export function irProblemJson(problem: IrProblem): Record<string, unknown> {
  return { code: problem.code, message: problem.message, path: problem.path, span: problem.span, ...(problem.help === undefined ? {} : { help: problem.help }) };
}

export function problemCount(n: number): string {
  return `${n} problem${n === 1 ? "" : "s"}`;
}
