import { Lexer, type IToken } from "chevrotain";
import fc from "fast-check";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProgram } from "../language/format/format.ts";
import { parseDeclarationFast } from "../language/fast-parser.ts";
import { lex } from "../language/lex.ts";
import { declarationBounds, sharedParser, splitDeclarations } from "../language/parse.ts";
import { scan, tokensOf } from "../language/scan.ts";
import { SourceFile } from "../language/source-file.ts";
import { lexerDefinition, retagKeywords, UnterminatedBlockComment } from "../language/tokens.ts";
import { arbitraryProgram } from "./support/arbitrary-syntax.ts";
import { render, wellTypedProgram } from "./support/arbitrary-well-typed.ts";
import { exampleSources, mutatedSource, randomSource } from "./support/mutated-sources.ts";
import { repoRoot } from "./support/run-cli.ts";

/**
 * `parse` takes a fast path (scan.ts, fast-parser.ts) for text without
 * syntax errors, and the lexer and full parser (lex.ts, parser.ts) for the
 * rest. The fast path must never change a result: where the scanner gives
 * tokens they are the lexer's, and where the fast parser gives a tree the
 * full parser gives the same tree (same fields in the same order, same
 * spans) and reports nothing. Where either gives up, nothing is lost but
 * time; that they do not give up on correct programs is checked too, as
 * that is what makes `flow check` fast.
 */

const lexer = new Lexer(lexerDefinition, { positionTracking: "onlyOffset", skipValidations: true, ensureOptimizations: false });

/** What the lexer makes of the text, and whether it reported anything (lex.ts turns each into a diagnostic). */
function lexerTokens(text: string): { tokens: IToken[]; clean: boolean } {
  const result = lexer.tokenize(text);
  retagKeywords(result.tokens);
  const unterminated = (result.groups["comments"] ?? []).some((t) => t.tokenType === UnterminatedBlockComment);
  return { tokens: result.tokens, clean: result.errors.length === 0 && !unterminated };
}

/** The problems with the fast path on this text; with `complete`, also where it gave up on correct text. */
function fastPathProblems(text: string, complete = false): string[] {
  const problems: string[] = [];
  const scanned = scan(text);
  const lexed = lexerTokens(text);
  if (scanned === undefined) {
    if (complete && lexed.clean) problems.push("the scanner gave up on text the lexer takes without a problem");
    return problems;
  }
  if (!lexed.clean) return ["the scanner took text the lexer reports"];
  const mine = tokensOf(scanned, text, 0, scanned.count).map((t) => [t.tokenType.name, t.startOffset, t.image]);
  const theirs = lexed.tokens.map((t) => [t.tokenType.name, t.startOffset, t.image]);
  if (JSON.stringify(mine) !== JSON.stringify(theirs)) return ["the scanner's tokens differ from the lexer's"];
  if (JSON.stringify(scanned.comments) !== JSON.stringify(lex(new SourceFile("t.flow", text)).comments)) return ["the comments differ"];

  const bounds = declarationBounds(scanned, text);
  const chunks = splitDeclarations(lexed.tokens, text).map((chunk) => chunk[0]!.startOffset);
  if (JSON.stringify(bounds.slice(0, -1).map((b) => scanned.starts[b])) !== JSON.stringify(chunks)) return ["the declarations are cut elsewhere"];
  for (let c = 0; c + 1 < bounds.length; c++) {
    const fast = parseDeclarationFast(text, scanned, bounds[c]!, bounds[c + 1]!);
    const full = sharedParser();
    full.source = text;
    full.problems = [];
    full.input = tokensOf(scanned, text, bounds[c]!, bounds[c + 1]!);
    let tree: unknown;
    let overflowed = false;
    try {
      tree = full.declaration();
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      overflowed = true;
    }
    const clean = !overflowed && full.errors.length === 0 && full.problems.length === 0;
    if (fast === undefined) {
      if (complete && clean) problems.push(`declaration ${c}: the fast parser gave up on a declaration without errors`);
      continue;
    }
    if (!clean) problems.push(`declaration ${c}: the fast parser took a declaration the full parser reports`);
    else if (JSON.stringify(fast) !== JSON.stringify(tree)) problems.push(`declaration ${c}: the trees differ`);
  }
  return problems;
}

function repositoryFiles(dir = repoRoot): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name.startsWith(".") || name === "dist" || name === "bench") return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return repositoryFiles(path);
    return name.endsWith(".flow") ? [path] : [];
  });
}

describe("the fast path of parsing", () => {
  it("agrees with the lexer and the full parser on every file of the repository", () => {
    for (const path of repositoryFiles()) {
      // Golden files hold errors on purpose: the fast path need not take them, only agree where it does.
      const complete = !path.includes(join("test", "golden"));
      expect(fastPathProblems(readFileSync(path, "utf8"), complete), path).toEqual([]);
    }
  });

  it("takes and agrees on random well-formed programs", () => {
    fc.assert(
      fc.property(arbitraryProgram, (program) => {
        const text = formatProgram(program, [], "");
        expect(fastPathProblems(text, true), text).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("takes and agrees on random well-typed programs", () => {
    fc.assert(
      fc.property(wellTypedProgram, (program) => {
        const { text } = render(program);
        expect(fastPathProblems(text, true), text).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("agrees on damaged examples and random text", () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: mutatedSource(exampleSources()) }, { weight: 1, arbitrary: randomSource }), (text) => {
        expect(fastPathProblems(text), text).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("cuts declarations where the lexer's path cuts them, reserved words used as names included", () => {
    const texts = [
      "workflow w(x: R) -> int { return x.type }\nnode n() -> int { return 1 }",
      "workflow w(x: R) -> int {\n  return x.\n    type\n}",
      "workflow w() -> R {\n  return {\n    type: 1,\n  }\n}",
      "workflow w() -> R { return { type: 1, node: 2 } } type R = { type: int }",
      "node n(node: int) -> int { return node }",
      'models fast = ["a:b"]\nagent a() -> string models fast prompt "p"',
      "workflow w() -> int { let x = f(agent: 1) return x } fn g() -> int",
      "node a() -> int { return 1 } node b() -> int { return 2 }",
      "workflow w() -> int { return 1 }) node n() -> int { return 2 }",
      'import { a } from "./a.flow" type T = int models m = ["x"] verifier v() -> bool { return true }',
    ];
    for (const text of texts) expect(fastPathProblems(text), text).toEqual([]);
  });

  it("leaves deep nesting to the full parser, which reports it", () => {
    const text = `workflow w() -> int { return ${"(".repeat(150)}1${")".repeat(150)} }`;
    const scanned = scan(text)!;
    expect(parseDeclarationFast(text, scanned, 0, scanned.count)).toBeUndefined();
  });
});
