import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Cgroup, detectCgroups } from "../interpreter/sandbox/bwrap/cgroup.ts";
import { TempDirs } from "./support/std-runtime.ts";

/**
 * The cgroup layouts, as files: this machine's kernel has v1 (the bwrap
 * tests use it for real), so v2's files are checked on a directory laid out
 * as the unified hierarchy is (what flow writes where, what it reads back).
 */

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

async function unifiedTree(controllers: string): Promise<string> {
  const root = await dirs.make();
  await writeFile(join(root, "cgroup.controllers"), controllers);
  await writeFile(join(root, "cgroup.procs"), "");
  await writeFile(join(root, "cgroup.subtree_control"), "");
  return root;
}

describe("cgroup layouts", () => {
  it("takes the unified hierarchy when it has the memory, cpu and pids controllers", async () => {
    const root = await unifiedTree("cpuset cpu io memory hugetlb pids rdma\n");
    expect(detectCgroups(root)).toEqual({ version: 2, root });
  });

  it("takes v1 when the unified tree lacks them (a Firecracker host: hugetlb only), and none when v1 is absent too", async () => {
    const root = await unifiedTree("hugetlb\n");
    expect(detectCgroups(root)).toBeNull();
    for (const controller of ["memory", "cpu", "cpuacct", "pids"]) {
      await mkdir(join(root, controller));
      await writeFile(join(root, controller, "cgroup.procs"), "");
    }
    expect(detectCgroups(root)).toMatchObject({ version: 1, memory: join(root, "memory"), pids: join(root, "pids") });
  });

  it("v2: enables the controllers for flow's parent and writes the limits as memory.max, cpu.max and pids.max", async () => {
    const root = await unifiedTree("cpu memory pids\n");
    const layout = detectCgroups(root);
    if (layout === null) throw new Error("no layout");
    const group = await Cgroup.create(layout, "123-1", { memoryBytes: 64 << 20, cpus: 0.5, pids: 32 });
    const dir = join(root, "flow", "123-1");
    expect(await readFile(join(root, "flow", "cgroup.subtree_control"), "utf8")).toBe("+memory +cpu +pids");
    expect(await readFile(join(dir, "memory.max"), "utf8")).toBe(String(64 << 20));
    expect(await readFile(join(dir, "cpu.max"), "utf8")).toBe("50000 100000");
    expect(await readFile(join(dir, "pids.max"), "utf8")).toBe("32");
    expect(group.procsFiles).toEqual([join(dir, "cgroup.procs")]);
    await writeFile(join(dir, "cpu.stat"), "usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\n");
    expect(await group.cpuMs()).toBe(250);
    await writeFile(join(dir, "memory.events"), "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
    expect(await group.oomKills()).toBe(1);
    expect(Cgroup.names(layout)).toEqual(["123-1"]);
  });

  it("v1: a directory per controller, the quota against a 100 ms period, CPU time from cpuacct.usage", async () => {
    const root = await unifiedTree("hugetlb\n");
    for (const controller of ["memory", "cpu", "cpuacct", "pids"]) {
      await mkdir(join(root, controller));
      await writeFile(join(root, controller, "cgroup.procs"), "");
    }
    const layout = detectCgroups(root);
    if (layout === null) throw new Error("no layout");
    const group = await Cgroup.create(layout, "123-2", { memoryBytes: 32 << 20, cpus: 2, pids: 100 });
    expect(await readFile(join(root, "memory", "flow", "123-2", "memory.limit_in_bytes"), "utf8")).toBe(String(32 << 20));
    expect(await readFile(join(root, "cpu", "flow", "123-2", "cpu.cfs_quota_us"), "utf8")).toBe("200000");
    expect(await readFile(join(root, "pids", "flow", "123-2", "pids.max"), "utf8")).toBe("100");
    expect(group.procsFiles).toHaveLength(4);
    await writeFile(join(root, "cpuacct", "flow", "123-2", "cpuacct.usage"), "1500000000\n");
    expect(await group.cpuMs()).toBe(1500);
    await writeFile(join(root, "memory", "flow", "123-2", "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    expect(await group.oomKills()).toBe(2);
  });
});
