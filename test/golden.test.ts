import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticCodes } from "../language/diagnostics/codes.ts";
import { repoRoot, runFlowInProcess } from "./support/run-cli.ts";

/**
 * Golden files: every `test/golden/<suite>/NAME.flow` (except under `lib/`,
 * which holds files the cases import) sits beside
 * `NAME.stderr`, what `flow check NAME.flow` prints (no colour) followed by
 * its exit code; every `test/golden/verify/NAME.ir.json` (an IR, most of
 * them corrupted by hand) beside `NAME.stderr`, what `flow verify` prints
 * for it. `npm run golden:update` rewrites the expectations; review the
 * diff before committing it.
 */
const goldenRoot = join(repoRoot, "test/golden");
const update = process.env["FLOW_UPDATE_GOLDEN"] === "1";

function goldenCases(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      // `lib/` holds files that cases import, not cases.
      if (entry.isDirectory()) return entry.name === "lib" ? [] : goldenCases(path);
      return entry.name.endsWith(".flow") || (entry.name.endsWith(".ir.json") && dir === verifyRoot) ? [path] : [];
    })
    .sort();
}

/** `test/golden/verify/`: IR files, each verified rather than checked. */
const verifyRoot = join(goldenRoot, "verify");

function expectationOf(file: string): string {
  return file.replace(/\.(flow|ir\.json)$/, ".stderr");
}

const cases = goldenCases(goldenRoot);

describe("golden diagnostics", () => {
  for (const file of cases) {
    const name = relative(repoRoot, file);
    it(name, async () => {
      const result = await runFlowInProcess([file.endsWith(".ir.json") ? "verify" : "check", name]);
      const actual = `${result.stderr}exit: ${result.code}\n`;
      const expectedPath = expectationOf(file);
      if (update || !existsSync(expectedPath)) {
        writeFileSync(expectedPath, actual);
        if (!update) throw new Error(`wrote a new golden file ${relative(repoRoot, expectedPath)}: review it`);
        return;
      }
      expect(actual).toBe(readFileSync(expectedPath, "utf8"));
    });
  }

  it("has no expectation without its .flow (or, in verify/, .ir.json) file", () => {
    const orphans = readdirSync(goldenRoot, { recursive: true, encoding: "utf8" })
      .filter((p) => p.endsWith(".stderr"))
      .filter((p) => !existsSync(join(goldenRoot, p.replace(/\.stderr$/, ".flow"))) && !existsSync(join(goldenRoot, p.replace(/\.stderr$/, ".ir.json"))));
    expect(orphans).toEqual([]);
  });

  it("covers every syntax, names, effects and IR code at least once", () => {
    const seen = new Set<string>();
    for (const file of cases) {
      const expected = readFileSync(expectationOf(file), "utf8");
      for (const match of expected.matchAll(/\[(FL\d{4})\]/g)) seen.add(match[1]!);
    }
    const covered = Object.keys(diagnosticCodes).filter((c) => ["FL01", "FL02", "FL03", "FL05"].some((range) => c.startsWith(range)));
    expect(covered.filter((c) => !seen.has(c))).toEqual([]);
  });
});
