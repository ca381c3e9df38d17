import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Json } from "../interpreter/ledger/entry.ts";
import { callPure } from "./support/std-runtime.ts";

const text = (name: string, args: Record<string, Json>) => callPure("std/text", name, args);
const noBreaks = fc.string({ unit: "grapheme" }).map((s) => s.replace(/[\r\n]/g, ""));

describe("std/text", () => {
  it("contains, starts_with, ends_with", () => {
    expect(text("contains", { text: "hello world", part: "o w" })).toBe(true);
    expect(text("contains", { text: "hello", part: "" })).toBe(true);
    expect(text("starts_with", { text: "hello", prefix: "he" })).toBe(true);
    expect(text("starts_with", { text: "hello", prefix: "lo" })).toBe(false);
    expect(text("ends_with", { text: "hello", suffix: "lo" })).toBe(true);
  });

  it("trim, lower and upper, the same whatever the locale", () => {
    expect(text("trim", { text: " \t\r\n x y \u00a0\u2003" })).toBe("x y");
    // A Turkish locale would map I to dotless ı: std never uses a locale.
    expect(text("lower", { text: "TITLE İ" })).toBe("title i̇");
    expect(text("upper", { text: "straße" })).toBe("STRASSE");
  });

  it("length counts code points, not UTF-16 code units", () => {
    expect(text("length", { text: "" })).toBe(0);
    expect(text("length", { text: "héllo" })).toBe(5);
    expect(text("length", { text: "😀👍" })).toBe(2);
  });

  it("split and join", () => {
    expect(text("split", { text: "a,b,,c", separator: "," })).toEqual(["a", "b", "", "c"]);
    expect(text("split", { text: "", separator: "," })).toEqual([""]);
    expect(text("split", { text: "a😀b", separator: "" })).toEqual(["a", "😀", "b"]);
    expect(text("join", { parts: ["a", "b", "c"], separator: ", " })).toBe("a, b, c");
    expect(text("join", { parts: [], separator: "," })).toBe("");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 }), (t, separator) => {
        expect(text("join", { parts: text("split", { text: t, separator }), separator })).toBe(t);
      }),
    );
  });

  it("replace replaces every occurrence, literally", () => {
    expect(text("replace", { text: "a.b.c", old: ".", new: "/" })).toBe("a/b/c");
    expect(text("replace", { text: "aaa", old: "aa", new: "b" })).toBe("ba");
    // `$&` and `$1` mean nothing here: the replacement is text.
    expect(text("replace", { text: "x", old: "x", new: "$&$&$1" })).toBe("$&$&$1");
    expect(text("replace", { text: "a😀", old: "", new: "-" })).toBe("-a-😀-");
    expect(text("replace", { text: "", old: "", new: "-" })).toBe("-");
  });

  it("lines splits at \\n and \\r\\n, with no empty last line", () => {
    expect(text("lines", { text: "" })).toEqual([]);
    expect(text("lines", { text: "a" })).toEqual(["a"]);
    expect(text("lines", { text: "a\nb\n" })).toEqual(["a", "b"]);
    expect(text("lines", { text: "a\r\nb\r\n\r\n" })).toEqual(["a", "b", ""]);
    expect(text("lines", { text: "\n" })).toEqual([""]);
    // A lone \r is not a break, at the end of a line or of the text.
    expect(text("lines", { text: "a\rb\nc\r" })).toEqual(["a\rb", "c\r"]);
  });

  it("lines inverts terminating each line with \\n or \\r\\n", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(noBreaks, fc.constantFrom("\n", "\r\n"))), (pairs) => {
        const joined = pairs.map(([line, end]) => line + end).join("");
        expect(text("lines", { text: joined })).toEqual(pairs.map(([line]) => line));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (t) => {
        // Joining the lines again gives the text back, breaks as \n and without a final one.
        const expected = t.replaceAll("\r\n", "\n").replace(/\n$/, "");
        expect(text("join", { parts: text("lines", { text: t }), separator: "\n" })).toBe(expected);
      }),
    );
  });
});
