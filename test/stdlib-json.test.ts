import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Json } from "../interpreter/ledger/entry.ts";
import { jsonSyntaxError } from "../stdlib/runtime/json-syntax-error.ts";
import { callPure, failureOf } from "./support/std-runtime.ts";

const parse = (t: string) => callPure("std/json", "parse", { text: t });
const stringify = (value: Json) => callPure("std/json", "stringify", { value });

describe("std/json", () => {
  it("parse reads JSON, with whitespace around it", () => {
    expect(parse(' {"a": [1, 2.5, "x", null, true]}\n')).toEqual({ a: [1, 2.5, "x", null, true] });
    expect(parse("null")).toBe(null);
  });

  it("parse fails as InvalidOutput, saying where and what", async () => {
    expect(await failureOf(() => parse('{"a": 1,\n  "b": }'))).toEqual({
      kind: "InvalidOutput",
      message: "the text is not JSON: at line 2, column 8: expected a value, found `}`",
    });
    expect((await failureOf(() => parse(""))).message).toBe("the text is not JSON: at line 1, column 1: expected a value, found the end of the text");
    expect((await failureOf(() => parse("[1 2]"))).message).toMatch(/column 4: expected `,` or `]`, found `2`$/);
    expect((await failureOf(() => parse('{"é😀": 01}'))).message).toMatch(/column 9: expected `,` or `}`, found `1`$/);
    expect((await failureOf(() => parse('"a\tb"'))).message).toMatch(/column 3: expected a character that is not a control character \(escape it\), found the control character U\+0009$/);
    expect((await failureOf(() => parse('{"a" 1}'))).message).toMatch(/expected `:`/);
    expect((await failureOf(() => parse("[1] x"))).message).toMatch(/expected the end of the text, found `x`/);
    expect((await failureOf(() => parse('"\\x"'))).message).toMatch(/expected an escape/);
    expect((await failureOf(() => parse("-"))).message).toMatch(/expected a digit, found the end/);
    expect((await failureOf(() => parse("tru"))).message).toMatch(/expected a value, found `t`/);
  });

  it("the syntax scanner agrees with JSON.parse on what is JSON", () => {
    const agrees = (t: string) => {
      let valid = true;
      try {
        JSON.parse(t);
      } catch {
        valid = false;
      }
      expect(jsonSyntaxError(t) === undefined, t).toBe(valid);
    };
    fc.assert(fc.property(fc.json(), (t) => agrees(t)), { numRuns: 500 });
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom("", "x", ",", "]", "}", '"', "\\", " ", "0", "-", ".", "e", "\n", "\u0001"), (t, at, insert) => {
        const i = at % (t.length + 1);
        agrees(t.slice(0, i) + insert + t.slice(i));
        agrees(t.slice(0, i) + t.slice(i + 1));
      }),
      { numRuns: 1000 },
    );
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(..."[]{},:\"\\0123456789-+.eEtrufalsn \n") }), (t) => agrees(t)), { numRuns: 1000 });
    // Nesting deeper than any stack: the scanner does not recurse.
    agrees("[".repeat(200_000));
  });

  it("stringify is canonical JSON (RFC 8785)", () => {
    expect(stringify({ b: 1, a: [true, null, "x"], c: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}');
    expect(stringify([1e21, 0.1, -0, 100, "é\u2028"])).toBe('[1e+21,0.1,0,100,"é\u2028"]');
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = stringify(value as Json) as string;
        expect(stringify(parse(once))).toBe(once);
      }),
    );
  });
});
