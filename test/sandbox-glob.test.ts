import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileGlob, escapeGlob } from "../interpreter/sandbox/glob.ts";

function matches(glob: string, path: string): boolean {
  return compileGlob(glob).alternatives.some((a) => a.regex.test(path));
}

describe("the sandbox's glob language", () => {
  it.each([
    ["*.ts", "a.ts", true],
    ["*.ts", "src/a.ts", false],
    ["*.ts", ".hidden.ts", true],
    ["src/*", "src/a", true],
    ["src/*", "src/a/b", false],
    ["src/**", "src/a/b/c.txt", true],
    ["src/**", "src", false],
    ["src/**", "srcx/a", false],
    ["**", "a/b/c", true],
    ["**/*.ts", "a.ts", true],
    ["**/*.ts", "x/y/a.ts", true],
    ["**/*.ts", "x/y/a.tsx", false],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["a/**/b", "a/xb", false],
    ["a**b/c", "axyb/c", true],
    ["?.md", "a.md", true],
    ["?.md", "ab.md", false],
    ["?", "/", false],
    ["[abc].txt", "b.txt", true],
    ["[a-c].txt", "d.txt", false],
    ["[!a-c].txt", "d.txt", true],
    ["[^a-c].txt", "a.txt", false],
    ["[]].txt", "].txt", true],
    ["a[/]b", "a/b", false],
    ["[.txt", "[.txt", true],
    ["*.{ts,js}", "a.js", true],
    ["*.{ts,js}", "a.css", false],
    ["{src,test/unit}/*.ts", "test/unit/a.ts", true],
    ["{a,b{c,d}}.x", "bd.x", true],
    ["{x}.md", "{x}.md", true],
    ["{a,b.md", "{a,b.md", true],
    ["\\*.md", "*.md", true],
    ["\\*.md", "a.md", false],
    ["./src/*.ts", "src/a.ts", true],
    ["docs/README.md", "docs/README.md", true],
    ["docs/readme.md", "docs/README.md", false],
    ["", "", false],
  ])("%s against %s: %s", (glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });

  it("starts a walk at the literal directories", () => {
    expect(compileGlob("src/lib/**/*.ts").alternatives.map((a) => [a.base, a.exact])).toEqual([["src/lib", false]]);
    expect(compileGlob("{src,test}/a.ts").alternatives.map((a) => [a.base, a.exact])).toEqual([
      ["src/a.ts", true],
      ["test/a.ts", true],
    ]);
    expect(compileGlob("**").alternatives[0]!.base).toBe("");
    expect(compileGlob("a\\*b/*").alternatives[0]!.base).toBe("a*b");
  });

  it("refuses globs that leave the work tree", () => {
    expect(() => compileGlob("/etc/*")).toThrow(expect.objectContaining({ kind: "Failed", message: expect.stringMatching(/absolute/) }));
    expect(() => compileGlob("../*")).toThrow(expect.objectContaining({ kind: "Failed", message: expect.stringMatching(/`\.\.`/) }));
    expect(() => compileGlob("{a,../b}/*")).toThrow(expect.objectContaining({ kind: "Failed" }));
  });

  it("refuses a brace expansion that explodes", () => {
    expect(() => compileGlob("{a,b}".repeat(11))).toThrow(expect.objectContaining({ kind: "Failed", message: expect.stringMatching(/alternatives/) }));
  });

  it("an escaped path matches that path and only it", () => {
    const segment = fc.string({ unit: fc.constantFrom(..."ab*?[]{},!^-\\. é"), minLength: 1, maxLength: 6 }).filter((s) => s !== "." && s !== "..");
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.array(segment, { minLength: 1, maxLength: 3 }), (a, b) => {
        const path = a.join("/");
        const other = b.join("/");
        const glob = compileGlob(escapeGlob(path));
        expect(glob.alternatives).toHaveLength(1);
        expect(glob.alternatives[0]!.exact).toBe(true);
        expect(glob.alternatives[0]!.base).toBe(path);
        expect(matches(escapeGlob(path), path)).toBe(true);
        expect(matches(escapeGlob(path), other)).toBe(path === other);
      }),
      { numRuns: 500 },
    );
  });
});
