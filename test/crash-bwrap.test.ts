import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bwrapWorks, flowGroups } from "../interpreter/sandbox/bwrap/bwrap.ts";
import { detectCgroups } from "../interpreter/sandbox/bwrap/cgroup.ts";
import { commandLine, isAlive, killLiveGroups, spawnGroup, waitUntil } from "./support/crash/children.ts";
import { describe as describeExit, flow, installCli, runIdIn } from "./support/crash/cli.ts";

/**
 * `flow run` SIGKILLed while bwrap sandboxes run commands: the sandboxes
 * die with it (bwrap's --die-with-parent), `flow resume` removes the
 * cgroups the killed process left, keeps each node's work tree as the
 * recorded steps left it (the step killed mid-way runs again, in that
 * tree), completes the run, and the ledger replays.
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
  root = mkdtempSync(join(tmpdir(), "flow-crash-bwrap-"));
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

describe.runIf(bwrapWorks())("crash with bwrap sandboxes running", () => {
  it("leaves no sandbox process behind; resume completes in the kept trees and the ledger replays", async () => {
    const cwd = mkdtempSync(join(root, "project-"));
    writeFileSync(join(cwd, "main.flow"), program);
    const marker = `flow-crash-bwrap-${process.pid}-${Date.now()}`;
    const child = spawnGroup(bin, ["run", "main.flow", "--sandbox", "bwrap", "--arg", `marker=${marker}`], cwd);
    // The sandboxes' own shells are up (bwrap has set their parent-death signal): then a kill of flow takes them down with it.
    const sandboxed = () => processesWith(marker).filter((pid) => (commandLine(pid) ?? "").startsWith("/bin/sh -c if"));
    expect(await waitUntil(() => sandboxed().length >= 2, 30_000), child.stderr).toBe(true);
    const flowPid = child.pid;
    // A crash of flow alone: not its process group, which a real kill -9 would not reach either.
    process.kill(flowPid, "SIGKILL");
    await child.exited;
    expect(await waitUntil(() => processesWith(marker).length === 0, 5_000), `left running: ${processesWith(marker).map(commandLine).join("; ")}`).toBe(true);

    const run = runIdIn(child.stderr);
    expect(run).not.toBeNull();
    const resumed = await flow(bin, ["resume", run as string], cwd);
    expect(resumed.code, describeExit(resumed, ["resume"])).toBe(0);
    // The first step's file and the killed step's mark were in the tree: it was kept, and the step ran again there.
    expect(JSON.parse(resumed.stdout)).toEqual(["before-1\na.txt ran-once", "before-2\na.txt ran-once"]);
    // The killed process's cgroups are gone: the resumed one's reaper removed them.
    const layout = detectCgroups();
    if (layout !== null) expect(flowGroups(layout).filter((name) => name.startsWith(`${flowPid}-`))).toEqual([]);
    expect(processesWith(marker)).toEqual([]);

    const replay = await flow(bin, ["replay", run as string], cwd);
    expect(replay.code, describeExit(replay, ["replay"])).toBe(0);
    expect(replay.stdout).toMatch(/^identical: /);
  }, 90_000);
});
