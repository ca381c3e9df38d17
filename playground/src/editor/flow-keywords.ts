/**
 * The words the editor colours as keywords: the lexer's reserved words and
 * its contextual keywords (language/tokens.ts). Copied rather than imported
 * so that the page does not load the lexer (the compiler runs in the
 * worker); test/playground-language.test.ts keeps the two lists equal.
 */
export const reservedWords = [
  "import", "type", "node", "agent", "verifier", "workflow", "fn", "let", "if", "else", "for", "in", "return",
  "true", "false", "null", "as", "verify", "approve", "sleep", "wait", "checkpoint", "fail",
] as const;

export const contextualKeywords = [
  "from", "models", "effects", "grants", "budget", "retry", "backoff", "cap", "on", "timeout", "gate", "sandbox", "tools",
  "prompt", "concurrency", "tolerate", "limit", "show", "by", "default", "signal", "max", "cost",
] as const;

/** The built-in type names (resolve-names.ts's primitives, the budget units and `List`). */
export const typeNames = ["string", "int", "float", "bool", "duration", "json", "tokens", "usd", "percent", "List"] as const;
