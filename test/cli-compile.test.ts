import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../compiler/ir/hash.ts";
import { repoRoot, runFlow } from "./support/run-cli.ts";

/** `flow compile` as a user types it. */

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-compile-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const hello = readFileSync(join(repoRoot, "examples/hello.flow"), "utf8");

/** Values used where the workflow has proven them not null: in a `then`, below an early `return`, in an `else if`'s `else`, right of `&&`. */
const narrowed = `type R = { name: string, score: float?, tags: List<string, max 3>? }

node mk(x: int) -> R
  budget { compute: 5s }
{
  return { name: "a", score: null, tags: null }
}

node use(s: float) -> float
  budget { compute: 5s }
{
  return s
}

node tag(t: string) -> string
  budget { compute: 5s }
{
  return t
}

node ok(b: bool) -> bool
  budget { compute: 5s }
{
  return b
}

workflow then_branch(x: int) -> float
  budget { compute: 1m }
{
  let r = mk(x)
  if r.score != null {
    return use(r.score)
  }
  return 0.0
}

workflow below(x: int) -> List<string>
  budget { compute: 1m }
{
  let r = mk(x)
  if r.tags == null {
    return []
  }
  return for t in r.tags { tag(t) }
}

workflow else_if(x: int) -> float
  budget { compute: 1m }
{
  let r = mk(x)
  if r.name == "z" {
    return 1.0
  } else if r.score == null {
    return 2.0
  } else {
    return r.score
  }
}

workflow and_also(x: int) -> bool
  budget { compute: 1m }
{
  let r = mk(x)
  let s = r.score
  return s != null && ok(s > 1.0)
}
`;

describe("flow compile", () => {
  it("writes the IR as canonical JSON with its hash to standard output, and names the hash on standard error", () => {
    const result = runFlow(["compile", "examples/hello.flow"]);
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith("}\n")).toBe(true);
    const file = JSON.parse(result.stdout);
    expect(`${canonicalJson(file)}\n`).toBe(result.stdout);
    expect(file.hash).toBe(sha256Hex(canonicalJson(file.ir)));
    expect(file.ir.irVersion).toBe(2);
    expect(file.ir.entry).toBe("hello.flow");
    expect(result.stderr).toBe(`compiled examples/hello.flow → standard output (sha256 ${file.hash})\n`);
  });

  it("writes to the file -o names, the same bytes from any directory", () => {
    const dir = scratch({ "hello.flow": hello });
    const result = runFlow(["compile", "hello.flow", "-o", "hello.ir.json"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const written = readFileSync(join(dir, "hello.ir.json"), "utf8");
    expect(written).toBe(runFlow(["compile", "examples/hello.flow"]).stdout);
    expect(result.stderr).toMatch(/^compiled hello\.flow → hello\.ir\.json \(sha256 [0-9a-f]{64}\)\n$/);
  });

  it("reports errors as flow check does, exits 65 and writes nothing", () => {
    const dir = scratch({ "bad.flow": 'workflow w() -> int {\n  return "no"\n}\n' });
    const result = runFlow(["compile", "bad.flow", "-o", "bad.ir.json"], { cwd: dir });
    const checked = runFlow(["check", "bad.flow"], { cwd: dir });
    expect(result.code).toBe(65);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(checked.stderr);
    expect(existsSync(join(dir, "bad.ir.json"))).toBe(false);
  });

  it("prints warnings and compiles; --strict makes a plan that may exceed its budget an error", () => {
    const loose = runFlow([
      "compile",
      "examples/monorepo-to-turbo.flow",
      "-o",
      join(mkdtempSync(join(tmpdir(), "flow-compile-")), "m.ir.json"),
    ]);
    expect(loose.code).toBe(0);
    expect(loose.stderr).toContain("warning[FL0403]");
    expect(loose.stderr).toMatch(/compiled examples\/monorepo-to-turbo\.flow → .*m\.ir\.json \(sha256 [0-9a-f]{64}\)\n$/);
    const strict = runFlow(["compile", "--strict", "examples/monorepo-to-turbo.flow"]);
    expect(strict.code).toBe(65);
    expect(strict.stdout).toBe("");
    expect(strict.stderr).toContain("error[FL0403]");
  });

  it("gives a JSON report with --json: diagnostics, hash and, without -o, the IR", () => {
    const result = runFlow(["compile", "--json", "examples/monorepo-to-turbo.flow"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.summary).toEqual({ files: 1, errors: 0, warnings: 1 });
    expect(report.diagnostics[0].code).toBe("FL0403");
    expect(report.hash).toBe(sha256Hex(canonicalJson(report.ir)));
    expect(report.output).toBeNull();
    const bad = runFlow(["compile", "--json", "bad.flow"], {
      cwd: scratch({ "bad.flow": "workflow w() -> int { return x }\n" }),
    });
    expect(bad.code).toBe(65);
    expect(JSON.parse(bad.stdout)).toMatchObject({ summary: { errors: 1 }, diagnostics: [{ code: "FL0202" }] });
  });

  it("compiles a workflow that uses a value where it is proven not null: its IR verifies, and it does not once the proof is gone", () => {
    const dir = scratch({ "narrowed.flow": narrowed });
    const result = runFlow(["compile", "narrowed.flow", "-o", "narrowed.ir.json"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    // The same IR with `r.score != null` made `true`: `use(r.score)` passes a `float?` where `float` is recorded.
    const ir = JSON.parse(readFileSync(join(dir, "narrowed.ir.json"), "utf8")).ir;
    const branch = ir.workflows.find((w: { name: string }) => w.name === "then_branch").body[1];
    branch.cond = { kind: "bool", value: true, span: branch.cond.span };
    writeFileSync(join(dir, "unproven.ir.json"), JSON.stringify(ir));
    const refused = runFlow(["verify", "unproven.ir.json"], { cwd: dir });
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain("error[FL0507]: in `then_branch`, the argument `s` of the vertex `use` is recorded as `float`, and its value is `float?`");
  });

  it("takes one file: a directory or a second file is a usage error", () => {
    const directory = runFlow(["compile", "examples"]);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain("`flow compile` takes one .flow file");
    const two = runFlow(["compile", "examples/hello.flow", "examples/flake-hunt.flow"]);
    expect(two.code).toBe(2);
    const missing = runFlow(["compile", "nowhere.flow"]);
    expect(missing.code).toBe(2);
  });
});
