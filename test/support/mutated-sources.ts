import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { lex } from "../../language/lex.ts";
import { SourceFile } from "../../language/source-file.ts";
import { repoRoot } from "./run-cli.ts";

/** The example programs: real text to damage. */
export function exampleSources(): string[] {
  const dir = join(repoRoot, "examples");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".flow"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

type Mutation =
  | { kind: "deleteToken"; at: number }
  | { kind: "duplicateToken"; at: number }
  | { kind: "swapTokens"; at: number }
  | { kind: "deleteByte"; at: number }
  | { kind: "insertByte"; at: number; byte: string }
  | { kind: "truncate"; at: number };

const awkwardBytes = ['"', "{", "}", "(", ")", "[", "]", "$", "\\", "\n", "/*", "//", '"""', "${", "=>", "->", "é", "\u0000", "#", "`", "<", ">"];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("deleteToken" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicateToken" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swapTokens" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("deleteByte" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insertByte" as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...awkwardBytes), fc.string({ maxLength: 2 })) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function apply(text: string, m: Mutation): string {
  if (text.length === 0) return m.kind === "insertByte" ? m.byte : text;
  const tokens = lex(new SourceFile("m.flow", text)).tokens;
  const tokenAt = (i: number) => tokens[i % Math.max(1, tokens.length)];
  switch (m.kind) {
    case "deleteToken": {
      const t = tokenAt(m.at);
      return t === undefined ? text : text.slice(0, t.startOffset) + text.slice(t.startOffset + t.image.length);
    }
    case "duplicateToken": {
      const t = tokenAt(m.at);
      return t === undefined ? text : text.slice(0, t.startOffset) + t.image + " " + text.slice(t.startOffset);
    }
    case "swapTokens": {
      const i = m.at % Math.max(1, tokens.length - 1);
      const a = tokens[i];
      const b = tokens[i + 1];
      if (a === undefined || b === undefined) return text;
      const aEnd = a.startOffset + a.image.length;
      const bEnd = b.startOffset + b.image.length;
      return text.slice(0, a.startOffset) + b.image + text.slice(aEnd, b.startOffset) + a.image + text.slice(bEnd);
    }
    case "deleteByte": {
      const at = m.at % text.length;
      return text.slice(0, at) + text.slice(at + 1);
    }
    case "insertByte": {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.byte + text.slice(at);
    }
    case "truncate":
      return text.slice(0, m.at % (text.length + 1));
  }
}

/** An example program damaged by one to six token- or byte-level mutations. */
export function mutatedSource(examples: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...examples), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([text, mutations]) => mutations.reduce(apply, text));
}

/** Text from nothing: random characters weighted toward the language's punctuation and words. */
export const randomSource: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...awkwardBytes, " ", "node", "workflow", "let", "for", "in", "{", "}", "x", "1", "2h", "$5", "5%", "List<", "as", "if", "else", "approve", "wait signal"),
      fc.string({ maxLength: 3 }),
      fc.string({ unit: "binary", maxLength: 3 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(""));
