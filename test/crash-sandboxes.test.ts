import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bwrapWorks, flowGroups } from "../interpreter/sandbox/bwrap/bwrap.ts";
import { detectCgroups } from "../interpreter/sandbox/bwrap/cgroup.ts";
import { microvmUnavailable } from "../interpreter/sandbox/microvm/microvm-driver.ts";
import { commandLine, isAlive, killLiveGroups, spawnGroup, waitUntil } from "./support/crash/children.ts";
import { describe as describeExit, flow, installCli, runIdIn } from "./support/crash/cli.ts";

/**
 * `flow run` SIGKILLed while bwrap sandboxes or microVMs run commands: the
 * sandboxes die with it (bwrap's --die-with-parent, QEMU's parent-death
 * signal), `flow resume` removes what the killed process left (cgroups,
 * VM runtime directories), keeps each node's work tree as the recorded
 * steps left it (the step killed mid-way runs again, in that tree),
 * completes the run, and the ledger replays.
 */

const program = `
import { sh } from "std/sandbox"
import { trim } from "std/text"

node slow(n: int, marker: string) -> string
  effects { fs.write, proc }
  budget  { compute: 1m }
{
  let a = sh("echo before-\${n as string} > a.txt")
  checkpoint "written"
  let b = sh("if [ -e ran-once ]; then echo again; else touch ran-once; sleep 60; echo \${marker}; fi", timeout: 2m)
  return trim(sh("cat a.txt; ls | tr '\\\\n' ' '").stdout)
}

workflow main(marker: string) -> List<string>
  budget { compute: 10m }
  grants { fs.write, proc }
{
  return for n in [1, 2] concurrency 2 { slow(n, marker) }
}
`;

let root = "";
let bin = "";
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "flow-crash-sandboxes-"));
  bin = installCli(root);
});
afterAll(() => {
  killLiveGroups();
  if (root !== "") rmSync(root, { recursive: true, force: true });
});

/** Live processes whose command line holds `marker` (inside a sandbox's pid namespace or not: /proc shows them all). */
function processesWith(marker: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .map(Number)
    .filter((pid) => (commandLine(pid) ?? "").includes(marker) && isAlive(pid));
}

/** How a driver's sandboxes show on this machine, for a run in `cwd` whose commands carry `marker`. */
interface Visible {
  readonly driver: "bwrap" | "microvm";
  readonly available: boolean;
  /** Every process of the run's sandboxes (bwrap: their commands, seen through /proc; microvm: the QEMU processes sharing its trees). */
  readonly processes: (cwd: string, marker: string) => number[];
  /** The sandboxes are running their commands, so a kill now lands mid-command. */
  readonly busy: (cwd: string, marker: string) => boolean;
}

const bwrapVisible: Visible = {
  driver: "bwrap",
  available: bwrapWorks(),
  processes: (_cwd, marker) => processesWith(marker),
  // The sandboxes' own shells are up (bwrap has set their parent-death signal): a kill of flow then takes them down with it.
  busy: (_cwd, marker) => processesWith(marker).filter((pid) => (commandLine(pid) ?? "").startsWith("/bin/sh -c if")).length >= 2,
};

const microvmVisible: Visible = {
  driver: "microvm",
  available: microvmUnavailable() === null,
  processes: (cwd) => processesWith(join(cwd, ".flow", "work")),
  busy: (cwd) => existsSyncAll(cwd),
};

/** Both nodes' trees have the mark their long step makes first: the VMs are running it. */
function existsSyncAll(cwd: string): boolean {
  const work = join(cwd, ".flow", "work");
  if (!existsSync(work)) return false;
  const runs = readdirSync(work).filter((name) => !name.startsWith("."));
  return runs.some((run) => ["slow[0]", "slow[1]"].every((node) => existsSync(join(work, run, node, "ran-once"))));
}

describe.each([bwrapVisible, microvmVisible])("crash with $driver sandboxes running", (visible) => {
  it.runIf(visible.available)("leaves no sandbox process behind; resume completes in the kept trees and the ledger replays", async () => {
    const cwd = mkdtempSync(join(root, "project-"));
    writeFileSync(join(cwd, "main.flow"), program);
    const marker = `flow-crash-${visible.driver}-${process.pid}-${Date.now()}`;
    const child = spawnGroup(bin, ["run", "main.flow", "--sandbox", visible.driver, "--arg", `marker=${marker}`], cwd);
    expect(await waitUntil(() => visible.busy(cwd, marker), 150_000), child.stderr).toBe(true);
    const left = () => visible.processes(cwd, marker);
    // What the check after the kill looks for is there now: it cannot pass for seeing nothing.
    expect(left().length).toBeGreaterThanOrEqual(2);
    const flowPid = child.pid;
    // A crash of flow alone: not its process group, which a real kill -9 would not reach either.
    process.kill(flowPid, "SIGKILL");
    await child.exited;
    expect(await waitUntil(() => left().length === 0, 10_000), `left running: ${left().map(commandLine).join("; ")}`).toBe(true);

    const run = runIdIn(child.stderr);
    expect(run).not.toBeNull();
    const resumed = await flow(bin, ["resume", run as string], cwd);
    expect(resumed.code, describeExit(resumed, ["resume"])).toBe(0);
    // The first step's file and the killed step's mark were in the tree: it was kept, and the step ran again there.
    expect(JSON.parse(resumed.stdout)).toEqual(["before-1\na.txt ran-once", "before-2\na.txt ran-once"]);
    // The killed process's cgroups are gone: the resumed one's reaper removed them.
    const layout = detectCgroups();
    if (visible.driver === "bwrap" && layout !== null) expect(flowGroups(layout).filter((name) => name.startsWith(`${flowPid}-`))).toEqual([]);
    expect(left()).toEqual([]);

    const replay = await flow(bin, ["replay", run as string], cwd);
    expect(replay.code, describeExit(replay, ["replay"])).toBe(0);
    expect(replay.stdout).toMatch(/^identical: /);
  }, 240_000);
});
