import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatProgram } from "../language/format/format.ts";
import { parse } from "../language/parse.ts";
import { scan } from "../language/scan.ts";
import { SourceFile } from "../language/source-file.ts";
import { forEachChild, type SyntaxNode } from "../language/walk.ts";
import { arbitraryProgram, withoutSpans } from "./support/arbitrary-syntax.ts";
import { exampleSources } from "./support/mutated-sources.ts";

function reparse(text: string) {
  return parse(new SourceFile("generated.flow", text));
}

describe("printing and parsing", () => {
  it("parse(print(tree)) is the tree, for random well-formed trees", () => {
    fc.assert(
      fc.property(arbitraryProgram, (program) => {
        const text = formatProgram(program, [], "");
        const parsed = reparse(text);
        expect(parsed.diagnostics.map((d) => `${d.code} ${d.message}`), text).toEqual([]);
        expect(withoutSpans(parsed.program), text).toEqual(withoutSpans(program));
      }),
      { numRuns: 400 },
    );
  });

  it("a declaration nests at most twice as deep as it has tokens, and three (check-depth.ts skips the walk for one that short)", () => {
    const depthOf = (node: SyntaxNode): number => {
      let deepest = 0;
      forEachChild(node, (child) => (deepest = Math.max(deepest, depthOf(child))));
      return deepest + 1;
    };
    const checkDepths = (text: string): void => {
      const parsed = reparse(text);
      const tokens = scan(text)!;
      for (const decl of parsed.program.decls) {
        let count = 0;
        for (let k = 0; k < tokens.count; k++) if (tokens.starts[k]! >= decl.span.start && tokens.ends[k]! <= decl.span.end) count++;
        expect(depthOf(decl), text.slice(decl.span.start, decl.span.end)).toBeLessThanOrEqual(2 * count + 3);
      }
    };
    for (const text of exampleSources()) checkDepths(text);
    checkDepths("node f(x: int) -> int { return -(-(-(-x))) + g(h(i(j([[[{ a: { b: !!!true } }]]])))) }\nnode g() -> List<List<T?>?> { f()()() }\nnode e() -> int effects { fs.read, proc } { }");
    fc.assert(
      fc.property(arbitraryProgram, (program) => checkDepths(formatProgram(program, [], ""))),
      { numRuns: 300 },
    );
  });

  it("the formatter is idempotent on random trees", () => {
    fc.assert(
      fc.property(arbitraryProgram, (program) => {
        const once = formatProgram(program, [], "");
        const parsed = reparse(once);
        expect(formatProgram(parsed.program, parsed.comments, once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it("the formatter is idempotent on the examples, keeps every comment, and keeps their meaning", () => {
    for (const text of exampleSources()) {
      const first = reparse(text);
      expect(first.diagnostics).toEqual([]);
      const once = formatProgram(first.program, first.comments, text);
      const second = reparse(once);
      expect(second.diagnostics).toEqual([]);
      expect(withoutSpans(second.program)).toEqual(withoutSpans(first.program));
      expect(second.comments.map((c) => c.text)).toEqual(first.comments.map((c) => c.text));
      expect(formatProgram(second.program, second.comments, once)).toBe(once);
    }
  });
});
