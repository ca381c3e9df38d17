import { parse, type ParseResult } from "../../language/parse.ts";
import { SourceFile } from "../../language/source-file.ts";

/**
 * What must hold for any input whatsoever: parsing returns (never throws),
 * every span in the tree and in the diagnostics lies inside the file, and
 * diagnostics come in source order. Returns the violations found.
 */
export function parseInvariantViolations(text: string): string[] {
  const problems: string[] = [];
  let result: ParseResult;
  try {
    result = parse(new SourceFile("fuzz.flow", text));
  } catch (error) {
    return [`parse threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`];
  }
  const inside = (where: string, span: { start: number; end: number }) => {
    const ok = Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 && span.start <= span.end && span.end <= text.length;
    if (!ok) problems.push(`${where}: span ${JSON.stringify(span)} outside 0..${text.length}`);
  };
  visitSpans(result.program, "program", inside);
  for (const comment of result.comments) inside("comment", comment.span);
  let previous = -1;
  for (const d of result.diagnostics) {
    inside(`${d.code} primary`, d.primary.span);
    for (const s of d.secondary) inside(`${d.code} secondary`, s.span);
    if (d.primary.span.start < previous) problems.push(`${d.code} out of source order`);
    previous = d.primary.span.start;
    if (!/^FL\d{4}$/.test(d.code) || d.message.length === 0 || d.primary.label.length === 0) problems.push(`malformed diagnostic ${JSON.stringify(d)}`);
  }
  return problems;
}

function visitSpans(node: unknown, path: string, check: (where: string, span: { start: number; end: number }) => void): void {
  if (Array.isArray(node)) {
    node.forEach((child, i) => visitSpans(child, `${path}[${i}]`, check));
    return;
  }
  if (node === null || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "span") check(`${path}.span`, value as { start: number; end: number });
    else visitSpans(value, `${path}.${key}`, check);
  }
}
