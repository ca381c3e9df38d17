import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../compiler/ir/hash.ts";
import { repoRoot, runFlow, runFlowInProcess } from "./support/run-cli.ts";

/** `flow verify` as a user types it: exit 0 verified, 65 refused, 2 unreadable. */

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-verify-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const hello = readFileSync(join(repoRoot, "examples/hello.flow"), "utf8");

describe("flow verify", () => {
  it("verifies what flow compile writes, as a file and as a bare IR, and names its hash", () => {
    const dir = scratch({ "hello.flow": hello });
    expect(runFlow(["compile", "hello.flow", "-o", "hello.ir.json"], { cwd: dir }).code).toBe(0);
    const file = JSON.parse(readFileSync(join(dir, "hello.ir.json"), "utf8"));
    writeFileSync(join(dir, "bare.ir.json"), JSON.stringify(file.ir, null, 2));
    const result = runFlow(["verify", "hello.ir.json"], { cwd: dir });
    expect(result).toEqual({ code: 0, stdout: "", stderr: `verified hello.ir.json: no problems (sha256 ${file.hash})\n` });
    const bare = runFlow(["verify", "bare.ir.json"], { cwd: dir });
    expect(bare.code).toBe(0);
    expect(bare.stderr).toBe(`verified bare.ir.json: no problems (sha256 ${sha256Hex(canonicalJson(file.ir))})\n`);
  });

  it("refuses a corrupted IR with exit 65, showing each problem in the source when the source is beside the file", () => {
    const dir = scratch({ "hello.flow": hello });
    runFlow(["compile", "hello.flow", "-o", "hello.ir.json"], { cwd: dir });
    const file = JSON.parse(readFileSync(join(dir, "hello.ir.json"), "utf8"));
    file.ir.units[0].effects.push({ name: "net", scope: null });
    file.hash = sha256Hex(canonicalJson(file.ir));
    writeFileSync(join(dir, "wide.ir.json"), JSON.stringify(file));
    const result = runFlow(["verify", "wide.ir.json"], { cwd: dir });
    expect(result.code).toBe(65);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("error[FL0509]: the workflow `hello` calls `greet`: the node `greet` declares `net`");
    // The source is beside the IR, with the text it was compiled from: the problem is shown in it.
    expect(result.stderr).toContain(" --> hello.flow:14:10");
    expect(result.stderr).toContain("^^^^^^^ the IR at /ir/workflows/0/vertices/0");
    expect(result.stderr.endsWith("1 problem in wide.ir.json: the IR is refused\n")).toBe(true);

    // Edited since: the source is no longer the one compiled, and is not used.
    writeFileSync(join(dir, "hello.flow"), `${hello}\n`);
    const edited = runFlow(["verify", "wide.ir.json"], { cwd: dir });
    expect(edited.stderr).toContain("  --> /ir/workflows/0/vertices/0 (hello.flow, offsets 222..229)");
  });

  it("gives the problems as data with --json", async () => {
    const result = await runFlowInProcess(["verify", "test/golden/verify/added-edge.ir.json", "--json"]);
    expect(result.code).toBe(65);
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout);
    expect(report.verified).toBe(false);
    expect(report.problems.map((p: { code: string }) => p.code)).toEqual(["FL0517", "FL0506"]);
    expect(report.problems[1]).toMatchObject({ path: "/workflows/0/edges/5", span: { file: "monorepo-to-turbo.flow", start: 1505, end: 1524 } });
    const clean = JSON.parse((await runFlowInProcess(["verify", "test/golden/verify/clean.ir.json", "--json"])).stdout);
    expect(clean).toEqual({ file: "test/golden/verify/clean.ir.json", verified: true, hash: clean.hash, problems: [] });
  });

  it("exits 2 for a file it cannot read or that is not JSON", async () => {
    const missing = await runFlowInProcess(["verify", "no/such.ir.json"]);
    expect(missing).toEqual({ code: 2, stdout: "", stderr: "flow: cannot read `no/such.ir.json`: no such file or directory\n" });
    const dir = scratch({ "broken.ir.json": '{"hash": "e1", "ir": {' });
    const broken = await runFlowInProcess(["verify", join(dir, "broken.ir.json")]);
    expect(broken.code).toBe(2);
    // Where it stops being JSON, in one line (V8's own words quote the text, line breaks and all).
    expect(broken.stderr).toMatch(/^flow: .*broken\.ir\.json:1:23: not JSON: expected a string \(a key\), found the end of the text\n`flow verify` reads/);
  });
});
