import { MarkerSeverity, editor } from "./monaco.ts";
import type { MarkerDiagnostic } from "../protocol.ts";

const severity: Record<MarkerDiagnostic["severity"], MarkerSeverity> = {
  error: MarkerSeverity.Error,
  warning: MarkerSeverity.Warning,
  note: MarkerSeverity.Info,
};

/** The compiler's diagnostics as the model's markers: the squiggle, the hover (message, code, labels, help) and F8's list. */
export function showMarkers(model: editor.ITextModel, diagnostics: readonly MarkerDiagnostic[]): void {
  editor.setModelMarkers(
    model,
    "flow",
    diagnostics.map((d) => ({
      severity: severity[d.severity],
      code: d.code,
      source: "flow",
      message: `${d.message}\n${d.detail}`,
      startLineNumber: d.range.startLine,
      startColumn: d.range.startColumn,
      // An empty span (an error at the end of the file) still gets a visible squiggle.
      endLineNumber: d.range.endLine,
      endColumn: d.range.endLine === d.range.startLine && d.range.endColumn <= d.range.startColumn ? d.range.startColumn + 1 : d.range.endColumn,
    })),
  );
}
