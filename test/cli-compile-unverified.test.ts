import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { repoRoot, runFlowInProcess } from "./support/run-cli.ts";

/**
 * `flow compile` verifies what it lowers: IR that `verifyIr` refuses is a
 * bug in the compiler, an internal error (exit 70) that writes nothing.
 * The verifier is replaced here by one that refuses everything, since the
 * real compiler produces no such IR (the property tests say so).
 */
vi.mock("../compiler/verify-ir.ts", () => ({
  verifyIr: () => [
    {
      code: "FL0506",
      message: "in `hello`, `greet` → `greet` wait for each other in a cycle, through the edge from `greet` into `greet`'s `x`",
      path: "/workflows/0/edges/0",
      span: { file: "hello.flow", start: 222, end: 229 },
      help: "a workflow's graph is acyclic: a vertex that waits for its own result can never start",
    },
  ],
}));

describe("flow compile, when the IR does not verify", () => {
  it("exits 70, prints the problems in the source, and writes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flow-unverified-"));
    writeFileSync(join(dir, "hello.flow"), readFileSync(join(repoRoot, "examples/hello.flow"), "utf8"));
    const output = join(dir, "hello.ir.json");
    const result = await runFlowInProcess(["compile", join(dir, "hello.flow"), "-o", output]);
    expect(result.code).toBe(70);
    expect(result.stdout).toBe("");
    expect(existsSync(output)).toBe(false);
    expect(result.stderr).toContain("flow: internal error: the compiler produced IR it cannot verify (1 problem):");
    expect(result.stderr).toContain("error[FL0506]: in `hello`, `greet` → `greet` wait for each other in a cycle");
    expect(result.stderr).toMatch(/--> .*hello\.flow:14:10/);
    expect(result.stderr).toContain("^^^^^^^ the IR at /workflows/0/edges/0");
    expect(result.stderr.endsWith("This is a bug in flow; please report it with the command and input that caused it.\n")).toBe(true);
  });

  it("says so in the report with --json, still exit 70", async () => {
    const result = await runFlowInProcess(["compile", "examples/hello.flow", "--json"]);
    expect(result.code).toBe(70);
    const report = JSON.parse(result.stdout);
    expect(report.internalError.message).toBe("the compiler produced IR it cannot verify (1 problem)");
    expect(report.internalError.problems[0].code).toBe("FL0506");
    expect(report.ir).toBeUndefined();
  });
});
