import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../compiler/compile.ts";
import { diagnosticCodes, type DiagnosticCode } from "../language/diagnostics/codes.ts";
import { explainPagePath } from "../language/diagnostics/explain-pages.ts";
import { SourceFile } from "../language/source-file.ts";
import { repoRoot } from "./support/run-cli.ts";

/**
 * Each page's "## Example" must produce the page's own code when checked.
 * Its first ```flow block is the checked file; a block whose first line is
 * `// file: NAME` is another file beside it, for examples about imports.
 */
function exampleOf(page: string): { entry: string; files: Map<string, string> } | undefined {
  const section = page.split(/^## /m).find((s) => s.startsWith("Example"));
  if (section === undefined) return undefined;
  const files = new Map<string, string>();
  let entry: string | undefined;
  for (const [, block] of section.matchAll(/```flow\n([\s\S]*?)```/g)) {
    const named = /^\/\/ file: (\S+)\n/.exec(block!);
    if (named !== null) files.set(named[1]!, block!);
    else entry ??= block!;
  }
  return entry === undefined ? undefined : { entry, files };
}

describe("explain pages", () => {
  for (const code of Object.keys(diagnosticCodes) as DiagnosticCode[]) {
    it(`${code} has a page whose example produces ${code}`, () => {
      const path = explainPagePath(code);
      expect(existsSync(path), `missing ${path}`).toBe(true);
      const page = readFileSync(path, "utf8");
      expect(page.startsWith(`# ${code}: ${diagnosticCodes[code].title}\n`)).toBe(true);
      const example = exampleOf(page);
      expect(example, "no ```flow example under ## Example").toBeDefined();
      const host = { readFile: (file: string) => example!.files.get(file) };
      const codes = check(new SourceFile("main.flow", example!.entry), host).diagnostics.map((d) => d.code);
      expect(codes).toContain(code);
      // Beyond syntax, an example shows its error and no other: a second one
      // would be a cascade. (A syntax error can rightly cost more, as an
      // unclosed comment costs the `}` it swallows.)
      if (!code.startsWith("FL01")) expect(new Set(codes)).toEqual(new Set([code]));
    });
  }

  it("has no page for an unknown code", () => {
    const pages = readdirSync(join(repoRoot, "docs/explain")).map((f) => f.replace(/\.md$/, ""));
    expect(pages.filter((p) => !(p in diagnosticCodes))).toEqual([]);
  });
});
