import { diagnosticCodes, type DiagnosticCode } from "./diagnostics/codes.ts";
import type { Diagnostic, Label } from "./diagnostics/diagnostic.ts";
import type { SourceFile, Span } from "./source-file.ts";

export interface SyntaxErrorText {
  readonly message: string;
  readonly label: string;
  readonly help?: string;
  readonly secondary?: readonly { readonly span: Span; readonly label: string }[];
}

/** Builds an error diagnostic in one file, clamping spans so they stay inside it. */
export function syntaxError(source: SourceFile, code: DiagnosticCode, span: Span, text: SyntaxErrorText): Diagnostic {
  const secondary: Label[] = (text.secondary ?? []).map((s) => ({ span: inFile(source, s.span), label: s.label }));
  const diagnostic: Diagnostic = {
    code,
    severity: "error",
    message: text.message || diagnosticCodes[code].title,
    primary: { span: inFile(source, span), label: text.label },
    secondary,
    ...(text.help === undefined ? {} : { help: text.help }),
  };
  return diagnostic;
}

function inFile(source: SourceFile, span: Span) {
  const length = source.text.length;
  const start = clamp(span.start, 0, length);
  const end = clamp(Math.max(span.end, start), start, length);
  return { file: source.path, start, end };
}

function clamp(value: number, lo: number, hi: number): number {
  if (Number.isNaN(value)) return lo;
  return Math.max(lo, Math.min(hi, value));
}
