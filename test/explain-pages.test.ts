import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticCodes, type DiagnosticCode } from "../language/diagnostics/codes.ts";
import { explainPagePath } from "../language/diagnostics/explain-pages.ts";
import { parse } from "../language/parse.ts";
import { SourceFile } from "../language/source-file.ts";
import { repoRoot } from "./support/run-cli.ts";

/** Each page's first ```flow block under "## Example" must produce the page's own code. */
function exampleOf(page: string): string | undefined {
  const section = page.split(/^## /m).find((s) => s.startsWith("Example"));
  return section === undefined ? undefined : /```flow\n([\s\S]*?)```/.exec(section)?.[1];
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
      const codes = parse(new SourceFile(`${code}.flow`, example!)).diagnostics.map((d) => d.code);
      expect(codes).toContain(code);
    });
  }

  it("has no page for an unknown code", () => {
    const pages = readdirSync(join(repoRoot, "docs/explain")).map((f) => f.replace(/\.md$/, ""));
    expect(pages.filter((p) => !(p in diagnosticCodes))).toEqual([]);
  });
});
