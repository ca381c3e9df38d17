import { hash as nodeHash } from "node:crypto";
import * as posix from "node:path/posix";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hash } from "../playground/shims/node-crypto.ts";
import * as shim from "../playground/shims/node-path-posix.ts";

// The browser build swaps these two Node modules for playground/shims/: the
// IR's content hash and the paths of imported files must come out the same.

describe("the playground's node:crypto", () => {
  it("hashes as Node does, across block boundaries and beyond ASCII", () => {
    for (const text of ["", "abc", "a".repeat(55), "a".repeat(56), "a".repeat(64), "é€😀".repeat(40)]) {
      expect(hash("sha256", text, "hex")).toBe(nodeHash("sha256", text, "hex"));
    }
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => hash("sha256", text, "hex") === nodeHash("sha256", text, "hex")));
  });

  it("refuses what it does not implement instead of hashing wrongly", () => {
    expect(() => hash("md5", "x", "hex")).toThrow(/only sha256/);
  });
});

describe("the playground's node:path/posix", () => {
  const segment = fc.constantFrom("a", "bc", ".", "..", "", "shared", "x.flow");
  const path = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }), fc.boolean()).map(([abs, parts, slash]) => `${abs ? "/" : ""}${parts.join("/")}${slash ? "/" : ""}`);

  it("normalizes, joins and takes directories as Node does", () => {
    fc.assert(
      fc.property(path, path, (a, b) => {
        expect(shim.normalize(a)).toBe(posix.normalize(a));
        expect(shim.dirname(a)).toBe(posix.dirname(a));
        expect(shim.join(a, b)).toBe(posix.join(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it("relates two relative paths as Node does from any working directory", () => {
    const relativePath = fc.array(fc.constantFrom("a", "bc", "shared", "x.flow", "."), { maxLength: 5 }).map((p) => p.join("/"));
    fc.assert(fc.property(relativePath, relativePath, (a, b) => {
          expect(shim.relative(a, b)).toBe(posix.relative(a, b));
        }),
       { numRuns: 2000 });
  });
});
