/**
 * JSON for a golden file a reviewer reads: keys in the order given, and an
 * object or array on one line when it fits in `width` columns (a span, an
 * effect, a short list), otherwise one member per line. The IR's goldens
 * are written this way from its canonical form, whose bytes the test
 * re-derives, so a diff shows what changed without pinning less.
 */
export function readableJson(value: unknown, width = 110): string {
  return `${print(value, "", width)}\n`;
}

function print(value: unknown, indent: string, width: number): string {
  const flat = JSON.stringify(value);
  if (value === null || typeof value !== "object" || indent.length + flat.length <= width) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => `${inner}${print(v, inner, width)}`).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${print(v, inner, width)}`).join(",\n")}\n${indent}}`;
}
