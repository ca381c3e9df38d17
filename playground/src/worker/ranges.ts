import type { Span, SourceFile } from "../../../language/source-file.ts";
import type { TextRange } from "../protocol.ts";

/** A span of offsets as Monaco's 1-based lines and columns (both count UTF-16 code units). */
export function rangeOf(source: SourceFile, span: Span): TextRange {
  const start = source.position(span.start);
  const end = source.position(span.end);
  return { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column };
}
