import { formatProgram } from "../../../language/format/format.ts";
import { hasErrors } from "../../../language/diagnostics/diagnostic.ts";
import { parse } from "../../../language/parse.ts";
import { SourceFile } from "../../../language/source-file.ts";
import type { FormatResult } from "../protocol.ts";

/** `flow fmt` on the editor's text: a file with syntax errors is left as it is, as the command leaves it. */
export function formatSource(id: number, path: string, text: string): FormatResult {
  const parsed = parse(new SourceFile(path, text));
  if (hasErrors(parsed.diagnostics)) return { kind: "not-formatted", id, reason: "fix the syntax errors first: a file with syntax errors is not formatted" };
  return { kind: "formatted", id, text: formatProgram(parsed.program, parsed.comments, text) };
}
