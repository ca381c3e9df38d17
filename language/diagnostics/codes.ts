/**
 * Every diagnostic code, once. Codes are never renumbered or reused; a
 * retired code stays here marked retired. Each has a page in
 * `docs/explain/CODE.md` (printed by `flow explain CODE`) whose example is
 * compiled by the test suite and must produce the code.
 *
 * Ranges: FL01xx syntax · FL02xx names and types · FL03xx effects ·
 * FL04xx budgets · FL05xx IR · FL06xx runtime and replay.
 */
export const diagnosticCodes = {
  FL0101: { title: "unexpected character" },
  FL0102: { title: "unterminated string" },
  FL0103: { title: "unknown escape sequence" },
  FL0104: { title: "unknown unit" },
  FL0105: { title: "invalid quantity" },
  FL0106: { title: "unterminated block comment" },
  FL0107: { title: "text on the opening line of a block string" },
  FL0110: { title: "unexpected token" },
  FL0111: { title: "unclosed delimiter" },
  FL0112: { title: "expected an expression" },
  FL0113: { title: "expected a type" },
  FL0114: { title: "expected a declaration" },
  FL0115: { title: "expected a statement" },
  FL0116: { title: "reserved word used as a name" },
  FL0117: { title: "chained comparison" },
  FL0118: { title: "clause not allowed here" },
  FL0119: { title: "duplicate clause" },
  FL0120: { title: "statement not allowed here" },
  FL0121: { title: "nesting too deep" },
  FL0122: { title: "unknown clause" },
  FL0123: { title: "missing part of a declaration" },
  FL0201: { title: "duplicate declaration" },
  FL0202: { title: "unknown name" },
  FL0203: { title: "unknown type" },
  FL0204: { title: "not exported by the imported file" },
  FL0205: { title: "name already defined" },
  FL0206: { title: "unknown failure kind" },
  FL0207: { title: "imported file not found" },
  FL0208: { title: "import cycle" },
  FL0209: { title: "unused import" },
} as const satisfies Record<string, { readonly title: string }>;

export type DiagnosticCode = keyof typeof diagnosticCodes;

export const codeRanges = [
  { prefix: "FL01", phase: "syntax" },
  { prefix: "FL02", phase: "names and types" },
  { prefix: "FL03", phase: "effects" },
  { prefix: "FL04", phase: "budgets" },
  { prefix: "FL05", phase: "IR" },
  { prefix: "FL06", phase: "runtime and replay" },
] as const;

export function isDiagnosticCode(value: string): value is DiagnosticCode {
  return Object.hasOwn(diagnosticCodes, value);
}
