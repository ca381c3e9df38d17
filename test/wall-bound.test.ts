import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultConcurrency } from "../compiler/ir/concurrency.ts";
import { verifyIr } from "../compiler/verify-ir.ts";
import { irOf } from "./support/example-ir.ts";
import { runFlow } from "./support/run-cli.ts";

/**
 * A workflow's worst-case wall time with the run's slots counted: a fan-out
 * wider than them (16 by default) cannot run all at once, whatever its own
 * `concurrency`. Priced as if it could, a wall ceiling was said to fit and
 * the run was then stopped by it: 40 naps of at most 2 s were priced at 2 s
 * and took three rounds.
 */
function program(width: number, ceiling: string, concurrency = ""): string {
  return `import { sh } from "std/sandbox"

node nap(i: int) -> int
  effects { proc }
  budget  { compute: 5s }
  timeout 2s
{
  sh("sleep 0.5", timeout: 2s)
  return i
}

workflow wide(ns: List<int, max ${width}>) -> List<int, max ${width}>
  budget { wall: ${ceiling}, compute: 10m }
  grants { proc }
{
  let done = for n in ns ${concurrency}{ nap(n) }
  return done
}
`;
}

const wallOf = (text: string) => {
  const { ir } = irOf("wide.flow", text);
  expect(verifyIr(ir)).toEqual([]);
  const workflow = ir.workflows[0]!;
  return { worst: workflow.cost.worst.wall, verdict: workflow.cost.verdicts.find((v) => v.unit === "wall")! };
};

describe("the worst-case wall time of a workflow", () => {
  it("adds to the critical path the vertices' time shared among the run's slots, and says so", () => {
    expect(defaultConcurrency).toBe(16);
    // 2 s on the critical path, then 40 × 2 s = 80 s of vertex time over 16 slots: 5 s more.
    const wide = wallOf(program(40, "3s"));
    expect(wide.worst).toBe(7_000);
    expect(wide.verdict).toMatchObject({ verdict: "may exceed", worst: 7_000, ceiling: 3_000 });
    expect(wide.verdict.derivation).toEqual(["nap: 40 ns × 2s = 1m20s", "critical path 2s + 1m20s of vertex time / 16 slots = 7s"]);
    // A fan-out's own concurrency makes rounds on the critical path: 40 at 4 a time are 10 rounds of 2 s.
    expect(wallOf(program(40, "1h", "concurrency 4 ")).worst).toBe(20_000 + 5_000);
    // One item: its own time, and its share of the slots.
    expect(wallOf(program(1, "1h")).worst).toBe(2_000 + 2_000 / 16);
  });

  it("is what flow check holds the ceiling against, and a run that fits it is never stopped by it", () => {
    const cwd = mkdtempSync(join(tmpdir(), "flow-wall-"));
    const ns = `ns=[${Array.from({ length: 40 }, (_, i) => i).join(",")}]`;
    writeFileSync(join(cwd, "tight.flow"), program(40, "3s"));
    const tight = runFlow(["check", "tight.flow"], { cwd });
    expect(tight.stdout + tight.stderr).toContain("warning[FL0403]: `wide` may exceed its wall budget: worst case 7s > 3s");
    expect(tight.stderr).toContain("critical path 2s + 1m20s of vertex time / 16 slots = 7s");

    writeFileSync(join(cwd, "fits.flow"), program(40, "7s"));
    expect(runFlow(["check", "fits.flow"], { cwd }).stdout).toMatch(/^ {2}verdict .* fits +fits$/m);
    // Three rounds of half-second naps: the run is never refused a dispatch for wall time, which it was with the bound at 2 s.
    const run = runFlow(["run", "fits.flow", "--sandbox", "process", "--arg", ns], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("refused");
    expect(run.stderr).toMatch(/^run \S+ completed/m);

    // With fewer slots than the bound assumed, flow run says so before it starts.
    const fewer = runFlow(["run", "fits.flow", "--sandbox", "process", "--concurrency", "4", "--arg", "ns=[1]"], { cwd });
    expect(fewer.stderr).toContain(
      "note: `wide`'s wall time was checked against its ceiling (7s) with 16 vertices at once (worst case 7s); with --concurrency 4 it may take longer, and flow stops dispatching at the ceiling",
    );
  });
});
