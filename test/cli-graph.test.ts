import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runFlow, runFlowInProcess } from "./support/run-cli.ts";

/** `flow graph` as a user types it. */

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-graph-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const two = `import { sh } from "std/sandbox"

node build(repo: string) -> string
  effects { proc }
  budget  { compute: 10m }
{
  return sh("make", timeout: 5m).stdout
}

workflow nightly(repo: string) -> string
  budget { compute: 1h }
  grants { proc }
{
  return build(repo)
}

workflow release(repo: string) -> string
  budget { compute: 1h }
  grants { proc }
{
  let built = build(repo)
  approve "publish" show built
  return built
}
`;

describe("flow graph", () => {
  it("prints the DAG as text: layers, fan-outs, barriers, each vertex's worst case and the totals", () => {
    const result = runFlow(["graph", "examples/monorepo-to-turbo.flow"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("workflow monorepo_to_turbo(repo: string) -> List<Migration>");
    expect(lines).toContain("  2  migrations = for pkg in pkgs ×200, 12 at a time");
    expect(result.stdout).toMatch(/^ {7}migrate_package\(repo, pkg, "npm", "turbo"\) +node +200 pkgs +4 +compute 1600h, wall 6h5m$/m);
    expect(lines).toContain('  ── verify coverage_kept(migrations) else "coverage dropped below 80%"');
    expect(lines).toContain('  ── approve "merge" show migrations timeout 7d default reject');
    expect(result.stdout).toMatch(/^ {2}verdict +fits +fits +may exceed +no ceiling$/m);
    // The diagnostics of the check, as flow compile gives them.
    expect(result.stderr).toContain("warning[FL0403]: `monorepo_to_turbo` may exceed its compute budget");
  });

  it("prints a Mermaid flowchart or a Graphviz digraph with --format", () => {
    const mermaid = runFlow(["graph", "examples/framework-upgrade.flow", "--format", "mermaid"]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toMatch(/^flowchart TD\n {2}subgraph w1_workflow\["workflow upgrade_express\(/);
    expect(mermaid.stderr).toBe("");
    const dot = runFlow(["graph", "--format=dot", "examples/framework-upgrade.flow"]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toMatch(/^digraph "framework-upgrade\.flow" \{\n/);
    expect(dot.stdout.endsWith("}\n")).toBe(true);
  });

  it("reports errors as flow check does, exits 65 and prints nothing on standard output", () => {
    const dir = scratch({ "bad.flow": 'workflow w() -> int {\n  return "no"\n}\n' });
    for (const format of ["text", "mermaid", "dot"]) {
      const result = runFlow(["graph", "bad.flow", "--format", format], { cwd: dir });
      expect(result.code).toBe(65);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(runFlow(["check", "bad.flow"], { cwd: dir }).stderr);
    }
  });

  it("draws every workflow of the file, or the one --workflow names", () => {
    const dir = scratch({ "two.flow": two });
    const all = runFlow(["graph", "two.flow"], { cwd: dir });
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^workflow \w+/gm)).toEqual(["workflow nightly", "workflow release"]);
    const one = runFlow(["graph", "two.flow", "--workflow", "release"], { cwd: dir });
    expect(one.code).toBe(0);
    expect(one.stdout.match(/^workflow \w+/gm)).toEqual(["workflow release"]);
    expect(one.stdout).toContain('  ── approve "publish" show built');
    const mermaid = runFlow(["graph", "two.flow", "--format", "mermaid"], { cwd: dir }).stdout;
    expect(mermaid.match(/^ {2}subgraph \w+/gm)).toEqual(["  subgraph w1_workflow", "  subgraph w2_workflow"]);
    const dot = runFlow(["graph", "two.flow", "--format", "dot"], { cwd: dir }).stdout;
    expect(dot.match(/^ {2}subgraph \w+/gm)).toEqual(["  subgraph cluster_w1_workflow", "  subgraph cluster_w2_workflow"]);
  });

  it("refuses an unknown workflow, suggesting the nearest, and an unknown format, with exit 2", () => {
    const dir = scratch({ "two.flow": two });
    const typo = runFlow(["graph", "two.flow", "--workflow", "relaese"], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe("");
    expect(typo.stderr).toBe("flow: `two.flow` has no workflow `relaese`; did you mean `release`?\nits workflows: nightly, release\n");
    const format = runFlow(["graph", "two.flow", "--format", "svg"], { cwd: dir });
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/^flow: option '--format <format>' argument 'svg' is invalid\. Allowed choices are text, mermaid, dot\.\n/);
  });

  it("takes one file that declares a workflow: a directory or a library is a usage error", () => {
    const directory = runFlow(["graph", "examples"]);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain("`flow graph` takes one .flow file, and `examples` is a directory");
    const library = runFlow(["graph", "examples/shared/releases.flow"]);
    expect(library.code).toBe(2);
    expect(library.stderr).toContain("`examples/shared/releases.flow` declares no workflow to draw");
  });

  it("gives the same bytes every time, in this process and by the binary, from any directory", async () => {
    for (const format of ["text", "mermaid", "dot"]) {
      const args = ["graph", "examples/compliance-sweep.flow", "--format", format];
      const first = runFlow(args);
      expect((await runFlowInProcess(args)).stdout).toBe(first.stdout);
      expect((await runFlowInProcess(args)).stdout).toBe(first.stdout);
      const elsewhere = runFlow(["graph", "compliance-sweep.flow", "--format", format], { cwd: join(repoRoot, "examples") });
      expect(elsewhere.stdout).toBe(first.stdout);
    }
    const copy = scratch({ "compliance-sweep.flow": readFileSync(join(repoRoot, "examples/compliance-sweep.flow"), "utf8") });
    expect(runFlow(["graph", "compliance-sweep.flow", "--format", "dot"], { cwd: copy }).stdout).toBe(
      runFlow(["graph", "examples/compliance-sweep.flow", "--format", "dot"]).stdout,
    );
  });
});
