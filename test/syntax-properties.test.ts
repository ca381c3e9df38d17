import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatProgram } from "../language/format/format.ts";
import { parse } from "../language/parse.ts";
import { SourceFile } from "../language/source-file.ts";
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
