import type { Ir } from "../../compiler/ir/schema.ts";
import type { Span } from "../../compiler/ir/span.ts";
import { positionIn } from "../../language/source-file.ts";

/**
 * Where a span begins, as a failure at run time says it: `file:line:column`,
 * from the IR's line table of the file, so the same on every machine and in
 * replay. IR without one (compiled before it was added, replayed from a
 * ledger recorded then) gives `file:offset`, as its failures were recorded:
 * those ledgers still replay byte for byte.
 */
export function placeOf(span: Span, sources: Ir["sources"]): string {
  return linePlaceOf(span, sources) ?? `${span.file}:${span.start}`;
}

/** `file:line:column` where a span begins, from the IR's line table of its file; null without one. */
export function linePlaceOf(span: Span, sources: Ir["sources"]): string | null {
  const lines = sources.find((source) => source.path === span.file)?.lines;
  if (lines === undefined) return null;
  const { line, column } = positionIn(lines, span.start);
  return `${span.file}:${line}:${column}`;
}
