import { accessSync, constants, existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Limits on a sandbox's memory, CPU share and processes, and its CPU time,
 * through a cgroup of its own: v2 (one tree, `memory.max`, `cpu.max`,
 * `pids.max`) where the unified hierarchy has those controllers, v1 (a
 * tree per controller, as on a Firecracker host) otherwise. CPU time comes
 * from the cgroup, not from rusage, which a pid namespace hides.
 *
 * A process joins by writing its pid to `cgroup.procs` before it execs
 * bwrap (see bwrap.ts), so everything the sandbox starts is counted.
 */
export interface CgroupLimits {
  readonly memoryBytes: number;
  /** Cores: 0.5 is half of one core's time. */
  readonly cpus: number;
  readonly pids: number;
}

export type CgroupLayout =
  | { readonly version: 2; readonly root: string }
  | { readonly version: 1; readonly memory: string; readonly cpu: string; readonly cpuacct: string; readonly pids: string };

/** The parent of flow's groups in each tree. */
const parentName = "flow";
/** The CFS period: 100 ms, the kernel's default. */
const periodUs = 100_000;

/** The cgroup layout flow can create groups in here, or null (no cgroupfs, or not writable: prlimit instead). */
export function detectCgroups(root = "/sys/fs/cgroup"): CgroupLayout | null {
  const controllers = readText(join(root, "cgroup.controllers"));
  if (controllers !== null) {
    const have = new Set(controllers.split(/\s+/));
    if (have.has("memory") && have.has("cpu") && have.has("pids")) return writable(root) ? { version: 2, root } : null;
  }
  const memory = join(root, "memory");
  const cpu = join(root, "cpu");
  const cpuacct = join(root, "cpuacct");
  const pids = join(root, "pids");
  if (![memory, cpu, cpuacct, pids].every((dir) => existsSync(join(dir, "cgroup.procs")))) return null;
  return [memory, cpu, cpuacct, pids].every(writable) ? { version: 1, memory, cpu, cpuacct, pids } : null;
}

/** A group's directory for each controller (in v2, one directory for all). */
interface GroupDirs {
  readonly memory: string;
  readonly cpu: string;
  readonly cpuacct: string;
  readonly pids: string;
}

/** One sandbox's group: created with its limits, joined by its launcher, read for CPU time and OOM kills, removed at release. */
export class Cgroup {
  private constructor(
    private readonly version: 1 | 2,
    private readonly group: GroupDirs,
  ) {}

  static async create(layout: CgroupLayout, name: string, limits: CgroupLimits): Promise<Cgroup> {
    const group = await Cgroup.make(layout, name);
    group.limit(limits);
    return group;
  }

  /** A new group without limits of its own yet (a spare's: it holds only a launcher until `limit`). */
  static async make(layout: CgroupLayout, name: string): Promise<Cgroup> {
    switch (layout.version) {
      case 2: {
        const parent = join(layout.root, parentName);
        await mkdir(parent, { recursive: true });
        // Controllers reach a group only through its parents' subtree_control; the root and flow's parent hold no processes.
        await writeFile(join(layout.root, "cgroup.subtree_control"), "+memory +cpu +pids").catch(() => undefined);
        await writeFile(join(parent, "cgroup.subtree_control"), "+memory +cpu +pids");
        const dir = join(parent, name);
        await mkdir(dir, { recursive: true });
        return new Cgroup(2, { memory: dir, cpu: dir, cpuacct: dir, pids: dir });
      }
      case 1: {
        const group: GroupDirs = {
          memory: join(layout.memory, parentName, name),
          cpu: join(layout.cpu, parentName, name),
          cpuacct: join(layout.cpuacct, parentName, name),
          pids: join(layout.pids, parentName, name),
        };
        // The trees are independent: each made side by side (each step is a round trip through libuv's threads).
        await Promise.all(distinct(group).map((dir) => mkdir(dir, { recursive: true })));
        return new Cgroup(1, group);
      }
    }
  }

  /**
   * Sets the group's memory, CPU share and process limits (every file
   * written, whatever it held). Written synchronously: each is a write to
   * the kernel's cgroupfs (~0.02 ms for all), where going through libuv's
   * threads took ~0.5 ms, and ~2 ms under load, of an acquire's time.
   */
  limit(limits: CgroupLimits): void {
    const quota = String(Math.max(1_000, Math.round(limits.cpus * periodUs)));
    const { memory, cpu, pids } = this.group;
    switch (this.version) {
      case 2:
        writeFileSync(join(memory, "memory.max"), String(limits.memoryBytes));
        try {
          writeFileSync(join(memory, "memory.swap.max"), "0");
        } catch {
          // No swap accounting here: nothing to hold.
        }
        writeFileSync(join(cpu, "cpu.max"), `${quota} ${periodUs}`);
        writeFileSync(join(pids, "pids.max"), String(limits.pids));
        return;
      case 1:
        writeFileSync(join(memory, "memory.limit_in_bytes"), String(limits.memoryBytes));
        // Where swap is accounted, the limit holds for memory and swap together: the hog cannot page itself out of it.
        if (swapAccounted(memory)) writeFileSync(join(memory, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes));
        writeFileSync(join(cpu, "cpu.cfs_period_us"), String(periodUs));
        writeFileSync(join(cpu, "cpu.cfs_quota_us"), quota);
        writeFileSync(join(pids, "pids.max"), String(limits.pids));
        return;
    }
  }

  /** The group `name` as an earlier process made it (to remove what a killed flow left). */
  static existing(layout: CgroupLayout, name: string): Cgroup {
    if (layout.version === 2) {
      const dir = join(layout.root, parentName, name);
      return new Cgroup(2, { memory: dir, cpu: dir, cpuacct: dir, pids: dir });
    }
    return new Cgroup(1, {
      memory: join(layout.memory, parentName, name),
      cpu: join(layout.cpu, parentName, name),
      cpuacct: join(layout.cpuacct, parentName, name),
      pids: join(layout.pids, parentName, name),
    });
  }

  /** The names of the groups under flow's parent (in v1, the memory tree's). */
  static names(layout: CgroupLayout): string[] {
    const parent = join(layout.version === 2 ? layout.root : layout.memory, parentName);
    return existsSync(parent) ? readdirSync(parent, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? [entry.name] : [])) : [];
  }



  /** The `cgroup.procs` files a launcher writes its pid to, one per tree. */
  get procsFiles(): readonly string[] {
    return distinct(this.group).map((dir) => join(dir, "cgroup.procs"));
  }

  /** CPU time used by the group's processes, alive or gone, in ms. */
  async cpuMs(): Promise<number> {
    switch (this.version) {
      case 2: {
        const stat = await readFile(join(this.group.cpu, "cpu.stat"), "utf8");
        return Number(/^usage_usec (\d+)$/m.exec(stat)?.[1] ?? 0) / 1000;
      }
      case 1:
        return Number((await readFile(join(this.group.cpuacct, "cpuacct.usage"), "utf8")).trim()) / 1e6;
    }
  }

  /**
   * How many times the kernel killed a process of the group for reaching
   * its memory limit. Read synchronously, after every command: a small
   * cgroupfs file, where libuv's threads added ~0.5 ms (~3 under load).
   */
  oomKills(): number {
    const file = join(this.group.memory, this.version === 2 ? "memory.events" : "memory.oom_control");
    return Number(/^oom_kill (\d+)$/m.exec(readText(file) ?? "")?.[1] ?? 0);
  }

  /**
   * Removes the group, killing every process still in it. A sandbox ended
   * at its release has left it empty, or nearly: the kernel takes bwrap out
   * of the group a moment after its pipes close, so a busy group is first
   * waited for (1 ms at a time, ~a third of removals here), then its
   * processes are killed (and the kernel's dying ones waited for, 10 ms at
   * a time). Each step is a few syscalls on the cgroupfs: made
   * synchronously, not through libuv's threads.
   */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 60; attempt++) {
      if (this.removeDirectories()) return;
      if (attempt >= emptyingAttempts) this.killAll();
      await new Promise((resolve) => setTimeout(resolve, attempt < emptyingAttempts ? 1 : 10));
    }
    throw new Error(`could not remove the sandbox's cgroup ${this.group.memory}: its processes did not end`);
  }

  /** Removes the group's directories that the kernel lets go of now (it keeps a group while a process in it ends): whether every one is gone. */
  removeDirectories(): boolean {
    let removed = true;
    for (const dir of distinct(this.group)) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") removed = false;
      }
    }
    return removed;
  }

  private killAll(): void {
    const pids = new Set<number>();
    for (const file of this.procsFiles) {
      for (const line of (readText(file) ?? "").split("\n")) if (line !== "") pids.add(Number(line));
    }
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
  }
}

/** How many times a busy group is waited for before its processes are killed. */
const emptyingAttempts = 5;

/** Whether memory.memsw files exist (swap accounted) beside a group's memory directory: the same for every group of a tree, so asked once. */
const swapAccountedIn = new Map<string, boolean>();
function swapAccounted(memory: string): boolean {
  const tree = join(memory, "..");
  let known = swapAccountedIn.get(tree);
  if (known === undefined) {
    known = existsSync(join(memory, "memory.memsw.limit_in_bytes"));
    swapAccountedIn.set(tree, known);
  }
  return known;
}

/** The group's directories, each once. */
function distinct(group: GroupDirs): string[] {
  return [...new Set([group.memory, group.cpu, group.cpuacct, group.pids])];
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** Whether this process may create a group under `dir` (root, or a delegated tree). */
function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
