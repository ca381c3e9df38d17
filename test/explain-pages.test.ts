import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../compiler/compile.ts";
import { irFileText } from "../compiler/ir/hash.ts";
import { verifyIr } from "../compiler/verify-ir.ts";
import { diagnosticCodes, type DiagnosticCode } from "../language/diagnostics/codes.ts";
import { explainPagePath } from "../language/diagnostics/explain-pages.ts";
import { SourceFile } from "../language/source-file.ts";
import { irOf } from "./support/example-ir.ts";
import { applyPatch, type PatchOperation } from "./support/json-patch.ts";
import { repoRoot } from "./support/run-cli.ts";

/**
 * Each page's "## Example" must produce the page's own code when checked.
 * Its first ```flow block is the checked file; a block whose first line is
 * `// file: NAME` is another file beside it, for examples about imports.
 *
 * An IR code (FL05xx) is about a document the compiler did not write: its
 * example is a ```json block, a JSON Patch (RFC 6902) applied to the IR of
 * an example program, named on its first line (`// example:
 * examples/hello.flow`), or to the whole file `flow compile` writes,
 * `{hash, ir}` (`// compiled file: examples/hello.flow`). The patched
 * document must make `verifyIr` report the page's code and no other.
 */
function exampleSection(page: string): string | undefined {
  return page.split(/^## /m).find((s) => s.startsWith("Example"));
}

function irExampleOf(page: string): { program: string; document: "ir" | "file"; patch: PatchOperation[] } | undefined {
  const block = /```json\n([\s\S]*?)```/.exec(exampleSection(page) ?? "")?.[1];
  const header = block === undefined ? null : /^\/\/ (example|compiled file): (examples\/\S+\.flow)\n/.exec(block);
  if (block === undefined || header === null) return undefined;
  return { program: header[2]!, document: header[1] === "example" ? "ir" : "file", patch: JSON.parse(block.slice(header[0].length)) as PatchOperation[] };
}

function exampleOf(page: string): { entry: string; files: Map<string, string> } | undefined {
  const section = exampleSection(page);
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
      if (code.startsWith("FL05")) {
        const example = irExampleOf(page);
        expect(example, "no ```json patch under ## Example, naming its program on its first line").toBeDefined();
        expect(example!.patch.length).toBeGreaterThan(0);
        const { ir } = irOf(example!.program);
        const document = example!.document === "ir" ? ir : JSON.parse(irFileText(ir).text);
        expect(verifyIr(document), "the example program's IR verifies before the patch").toEqual([]);
        const problems = verifyIr(applyPatch(document, example!.patch));
        expect(problems.map((p) => p.code)).toContain(code);
        expect(new Set(problems.map((p) => p.code))).toEqual(new Set([code]));
        return;
      }
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
