import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exampleSources, mutatedSource, randomSource } from "./support/mutated-sources.ts";
import { parseInvariantViolations } from "./support/parse-invariants.ts";

/** A few thousand cases per run; `npm run fuzz` runs a million. */
describe("the parser on damaged input", () => {
  const examples = exampleSources();

  it("never throws and reports only spans inside the file, on mutated examples", () => {
    fc.assert(
      fc.property(mutatedSource(examples), (text) => {
        expect(parseInvariantViolations(text)).toEqual([]);
      }),
      { numRuns: 2500 },
    );
    // About 12 s at a load of 3; on a loaded machine (other suites beside it) it once took over the default 60 s.
  }, 240_000);

  it("never throws and reports only spans inside the file, on random text", () => {
    fc.assert(
      fc.property(randomSource, (text) => {
        expect(parseInvariantViolations(text)).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  }, 240_000);

  it("survives pathological nesting with a diagnostic instead of a crash", () => {
    for (const text of [
      `workflow w() -> int { return ${"(".repeat(20000)}1${")".repeat(20000)} }`,
      `workflow w() -> int { return ${"!".repeat(50000)}x }`,
      `workflow w() -> int { return ${"[".repeat(20000)} }`,
      `type T = ${"List<".repeat(20000)}int`,
      `workflow w() -> int { ${"if x { ".repeat(10000)} }`,
    ]) {
      expect(parseInvariantViolations(text)).toEqual([]);
    }
  });
});
