import type { SourceFile } from "../source-file.ts";
import type { Diagnostic, Label } from "./diagnostic.ts";

/** A label as tools read it: the offsets and their 1-based line and column. */
export interface JsonLabel {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly label: string;
}

export interface JsonDiagnostic {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly primary: JsonLabel;
  readonly secondary: readonly JsonLabel[];
  readonly help?: string;
}

export function toJson(diagnostic: Diagnostic, sources: ReadonlyMap<string, SourceFile>): JsonDiagnostic {
  const label = (l: Label): JsonLabel => {
    const source = sources.get(l.span.file);
    const start = source?.position(l.span.start) ?? { line: 0, column: 0 };
    const end = source?.position(l.span.end) ?? { line: 0, column: 0 };
    return {
      file: l.span.file,
      start: l.span.start,
      end: l.span.end,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      label: l.label,
    };
  };
  return {
    code: diagnostic.code,
    severity: diagnostic.severity,
    message: diagnostic.message,
    primary: label(diagnostic.primary),
    secondary: diagnostic.secondary.map(label),
    ...(diagnostic.help === undefined ? {} : { help: diagnostic.help }),
  };
}
