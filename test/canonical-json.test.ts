import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../compiler/ir/canonical-json.ts";
import { emptyHead, seal } from "../interpreter/ledger/chain.ts";
import type { Draft } from "../interpreter/ledger/entry.ts";

describe("canonical JSON (RFC 8785)", () => {
  it("is byte for byte what the canonicalize package writes, on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("gets the hard cases right: exponents, -0, key order by code unit, escapes, lone surrogates", () => {
    const hard = { "1e+21": 1e21, small: 1e-7, negZero: -0, "\u20ac": "€", é: "\u2028", b: [null, true, "\u0007\ud83d\ude00"], A: "\"\\", "": {} };
    expect(canonicalJson(hard)).toBe(canonicalize(hard));
  });

  it("refuses what is not JSON, and text that is not Unicode", () => {
    expect(() => canonicalJson("a\ud800b")).toThrow(/lone surrogate/);
    expect(() => canonicalJson(Number.NaN)).toThrow(/not a JSON number/);
    expect(() => canonicalJson(10n)).toThrow(/not JSON/);
  });
});

describe("sealing a ledger entry", () => {
  it("writes the canonical JSON of the entry, member by member", () => {
    const data = fc.record({ result: fc.jsonValue({ maxDepth: 3 }) });
    fc.assert(
      fc.property(data, fc.boolean(), fc.string(), fc.nat(), (d, onVertex, vertex, at) => {
        const draft = (onVertex
          ? { kind: "vertex.completed", at, vertex, attempt: 2, data: d }
          : { kind: "run.completed", at, data: d }) as unknown as Draft;
        const { entry, text } = seal("run-1", emptyHead, draft);
        expect(text).toBe(canonicalize(entry));
      }),
      { numRuns: 500 },
    );
  });
});
