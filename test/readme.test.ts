import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../language/parse.ts";
import { SourceFile } from "../language/source-file.ts";
import { repoRoot, runFlow } from "./support/run-cli.ts";

/** README is read before anything else: its examples and its output must stay true. */
const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const flowBlocks = [...readme.matchAll(/```flow\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("README", () => {
  it("shows examples/hello.flow as it is", () => {
    expect(flowBlocks[0]).toBe(readFileSync(join(repoRoot, "examples/hello.flow"), "utf8"));
  });

  it("shows the output flow check really gives for its broken example", () => {
    const broken = flowBlocks[1]!;
    const shown = /```text\n\$ bin\/flow check migrate\.flow\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "flow-readme-"));
    writeFileSync(join(dir, "migrate.flow"), broken);
    const result = runFlow(["check", "migrate.flow"], { cwd: dir });
    expect(result.code).toBe(65);
    expect(result.stderr).toBe(shown);
  });

  it("shows the cost table and budget verdict flow check really prints for the brief's example", () => {
    const shown = /```text\n\$ bin\/flow check examples\/monorepo-to-turbo\.flow\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    const result = runFlow(["check", "examples/monorepo-to-turbo.flow"]);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toBe(shown);
  });

  it("shows the DAG flow graph really prints for the brief's example", () => {
    const shown = /```text\n\$ bin\/flow graph examples\/monorepo-to-turbo\.flow\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    const result = runFlow(["graph", "examples/monorepo-to-turbo.flow"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(shown);
  });

  it("has no other flow block with syntax errors", () => {
    for (const block of [flowBlocks[0]!, ...flowBlocks.slice(2)]) {
      expect(parse(new SourceFile("README.md", block)).diagnostics).toEqual([]);
    }
  });
});
