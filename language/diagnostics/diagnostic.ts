import type { Span } from "../source-file.ts";
import type { DiagnosticCode } from "./codes.ts";

export type Severity = "error" | "warning" | "note";

/** A span in a named file; renderers turn it into line and column. */
export interface FileSpan extends Span {
  readonly file: string;
}

export interface Label {
  readonly span: FileSpan;
  readonly label: string;
}

/**
 * Diagnostics are data. Phases produce them; renderers (terminal, JSON,
 * editor markers) present them. A message is one plain sentence; the
 * primary label says what is wrong at the span, secondary labels point at
 * what to change, and `help` says how.
 */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly primary: Label;
  readonly secondary: readonly Label[];
  readonly help?: string;
}

/** Source order: by file, then by where the primary span starts (a stable sort keeps ties in the order found). */
export function byPosition(a: Diagnostic, b: Diagnostic): number {
  const pa = a.primary.span;
  const pb = b.primary.span;
  if (pa.file !== pb.file) return pa.file < pb.file ? -1 : 1;
  if (pa.start !== pb.start) return pa.start - pb.start;
  return 0;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
