import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binary, runFlow } from "./support/run-cli.ts";

/**
 * `flow pause` and `flow cancel` of a run another process is driving, as
 * users type them: the driver finds the request in the store and carries
 * it out; and of a run nobody drives, carried out by the command itself.
 */

/**
 * A project whose workflow runs 20 items two at a time. With `held`, every
 * item after the first waits for the file `go` in that directory (on the
 * process sandbox, which sees it): a test that pauses the run decides when
 * what is in flight may finish, whatever the machine's load.
 */
function project(marker: string, held?: string): string {
  const cwd = mkdtempSync(join(tmpdir(), "flow-control-"));
  const wait = held === undefined ? "" : `if [ \${n as string} -gt 1 ]; then until [ -e ${held}/go ]; do sleep 0.05; done; fi; `;
  writeFileSync(
    join(cwd, "main.flow"),
    `import { sh } from "std/sandbox"

node work(n: int) -> int
  effects { proc }
  budget  { compute: 10s }
{
  let r = sh("${wait}sleep 0.4 # ${marker}")
  return n
}

workflow main(ns: List<int, max 20>) -> List<int>
  budget { compute: 5m }
  grants { proc }
{
  return for n in ns concurrency 2 { work(n) }
}
`,
  );
  return cwd;
}

/** `flow run` in the background: the driving process. */
function drive(cwd: string, items: number, ...options: string[]): Promise<{ code: number; stderr: string }> {
  const ns = JSON.stringify(Array.from({ length: items }, (_, i) => i + 1));
  return flowAsync(cwd, "run", "main.flow", "--arg", `ns=${ns}`, ...options);
}

/** A command in the background, as a second terminal would run it. */
function flowAsync(cwd: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { cwd }, (error, _stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stderr }),
    );
  });
}

async function runningRun(cwd: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const runs = JSON.parse(runFlow(["runs", "--json"], { cwd }).stdout) as { id: string; status: string }[];
    const run = runs[0];
    if (run !== undefined && runFlow(["logs", run.id], { cwd }).stdout.includes("completed →")) return run.id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the run never got going");
}

const kinds = (cwd: string, run: string) => runFlow(["export", run], { cwd }).stdout.trim().split("\n").map((t) => (JSON.parse(t) as { kind: string }).kind);

describe("flow pause", () => {
  it("asks the driving process, which stops dispatching, lets what is in flight finish and parks; flow resume lets it go on", async () => {
    const held = mkdtempSync(join(tmpdir(), "flow-pause-held-"));
    const cwd = project(`flow-pause-${process.pid}`, held);
    const driving = drive(cwd, 20, "--sandbox", "process");
    const run = await runningRun(cwd);
    expect(runFlow(["status", run], { cwd }).stdout).toMatch(/driver +\S+:\d+, a live process of this machine/);
    // The pause is asked while two items wait; once the driver has recorded it, they may finish.
    const pausing = flowAsync(cwd, "pause", run);
    for (let i = 0; !kinds(cwd, run).includes("run.paused"); i++) {
      if (i > 300) throw new Error("the driver never recorded the pause");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    writeFileSync(join(held, "go"), "");
    const paused = await pausing;
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stderr).toContain(`run ${run} is driven by`);
    expect(paused.stderr).toContain(`run ${run} is paused`);
    const driver = await driving;
    expect(driver.code).toBe(0);
    expect(driver.stderr).toContain(`run ${run} paused: nothing more is dispatched`);
    const ledger = kinds(cwd, run);
    const at = ledger.indexOf("run.paused");
    expect(at).toBeGreaterThan(0);
    // After the pause: what was in flight ended, nothing was scheduled.
    expect(ledger.slice(at).filter((k) => k === "vertex.scheduled")).toEqual([]);
    expect(ledger.filter((k) => k === "vertex.started").length).toBe(ledger.filter((k) => k === "vertex.completed").length);
    expect(ledger.filter((k) => k === "vertex.completed").length).toBeLessThan(20);

    const resumed = runFlow(["resume", run], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe(`${JSON.stringify(Array.from({ length: 20 }, (_, i) => i + 1))}\n`);
    expect(kinds(cwd, run)).toContain("run.unpaused");
    expect(runFlow(["replay", run], { cwd }).code).toBe(0);
  });
});

describe("flow cancel", () => {
  it("asks the driving process, which kills what is in flight and records the cancellation; nothing more runs", async () => {
    const marker = `flow-cancel-${process.pid}-${Date.now()}`;
    const cwd = project(marker);
    const driving = drive(cwd, 20);
    const run = await runningRun(cwd);
    const cancelled = runFlow(["cancel", run], { cwd });
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stderr).toContain(`run ${run} is cancelled`);
    const driver = await driving;
    expect(driver.code).toBe(1);
    expect(driver.stderr).toContain(`run ${run} cancelled`);
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(marker);
    expect(kinds(cwd, run).at(-1)).toBe("run.cancelled");
    // What was in flight was killed: nothing is shown running, and it is counted as cancelled.
    const status = runFlow(["status", run], { cwd }).stdout;
    expect(status).not.toMatch(/^running /m);
    expect(status).toMatch(/^vertices  .*\d+ cancelled/m);
    expect((JSON.parse(runFlow(["status", run, "--json"], { cwd }).stdout) as { running: string[] }).running).toEqual([]);
    expect(runFlow(["resume", run], { cwd }).stderr).toContain(`run ${run} has already been cancelled`);
    expect(runFlow(["cancel", run], { cwd }).stderr).toContain(`run ${run} has already been cancelled`);
    expect(runFlow(["signal", run, "go", "--data", "1"], { cwd }).stderr).toContain(`run ${run} is not waiting at go: it has been cancelled\n`);
    // A cancel ends the run: following its ledger ends there too.
    const followed = runFlow(["logs", run, "--follow"], { cwd });
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/run cancelled by \S+\n$/);
    expect(runFlow(["replay", run], { cwd }).code).toBe(0);
  });

  it("cancels a run nobody drives (paused) itself", async () => {
    const cwd = project("unused");
    const driving = drive(cwd, 20);
    const run = await runningRun(cwd);
    expect(runFlow(["pause", run], { cwd }).code).toBe(0);
    await driving;
    const cancelled = runFlow(["cancel", run], { cwd });
    expect(cancelled.code).toBe(0);
    expect(cancelled.stderr).toContain(`run ${run}: cancelled by`);
    expect(kinds(cwd, run).slice(-2)).toEqual(["run.resumed", "run.cancelled"]);
    expect(runFlow(["replay", run], { cwd }).code).toBe(0);
  });
});
