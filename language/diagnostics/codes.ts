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
  FL0124: { title: "function declared outside the standard library" },
  FL0201: { title: "duplicate declaration" },
  FL0202: { title: "unknown name" },
  FL0203: { title: "unknown type" },
  FL0204: { title: "not exported by the imported file" },
  FL0205: { title: "name already defined" },
  FL0206: { title: "unknown failure kind" },
  FL0207: { title: "imported file not found" },
  FL0208: { title: "import cycle" },
  FL0209: { title: "unused import" },
  FL0301: { title: "effect missing from the effects clause" },
  FL0302: { title: "effect not granted by the workflow" },
  FL0303: { title: "unknown effect" },
  FL0304: { title: "effect in a lambda" },
  FL0305: { title: "verifier with an effect other than fs.read" },
  FL0306: { title: "step called outside a node" },
  FL0307: { title: "unit of work called outside a workflow" },
  FL0308: { title: "tool that is not a step" },
  FL0210: { title: "type mismatch" },
  FL0211: { title: "wrong arguments" },
  FL0212: { title: "unknown field" },
  FL0213: { title: "value may be null" },
  FL0214: { title: "not a value or not callable" },
  FL0215: { title: "operator not defined for these types" },
  FL0216: { title: "impossible conversion" },
  FL0217: { title: "misplaced or mismatched lambda" },
  FL0218: { title: "verifier does not return a verdict" },
  FL0219: { title: "`for` yields no value" },
  FL0220: { title: "missing return" },
  FL0221: { title: "type not allowed here" },
  FL0222: { title: "recursive type" },
  FL0223: { title: "expected a constant" },
  FL0224: { title: "unknown backoff" },
  FL0225: { title: "repeated record field" },
  FL0401: { title: "unbounded fan-out" },
  FL0402: { title: "vertex cannot fit the budget" },
  FL0403: { title: "plan may exceed its budget" },
  FL0404: { title: "cost unknown" },
  FL0405: { title: "unknown budget unit" },
  FL0406: { title: "budget in the wrong unit" },
  FL0501: { title: "not an IR document" },
  FL0502: { title: "unsupported IR version" },
  FL0503: { title: "IR hash mismatch" },
  FL0504: { title: "unresolved reference in the IR" },
  FL0505: { title: "duplicate id in the IR" },
  FL0506: { title: "cycle in a workflow's graph" },
  FL0507: { title: "value does not fit its type" },
  FL0508: { title: "schema outside the verified subset" },
  FL0509: { title: "effect not granted" },
  FL0510: { title: "effect outside the effects clause" },
  FL0511: { title: "unknown std operation" },
  FL0512: { title: "std operation differs from its declaration" },
  FL0513: { title: "fan-out without a bound" },
  FL0514: { title: "vertex cannot fit the workflow's budget" },
  FL0515: { title: "recorded cost differs from its recomputation" },
  FL0516: { title: "prices differ from the price table" },
  FL0517: { title: "graph differs from the body" },
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
