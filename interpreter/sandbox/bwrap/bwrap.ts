import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { HostTree } from "../host-tree.ts";
import type { ResolvedProfile } from "../profile.ts";
import { type ExtraPipe, runShell } from "../run-shell.ts";
import type { ExecOptions, ExecResult, SandboxDriver, SandboxRequest, SandboxSession } from "../sandbox.ts";
import { TreeSession } from "../tree-session.ts";
import { isInside } from "../work-tree-path.ts";
import { type BwrapPlan, bwrapArguments, etcAllowList, mountedBySandbox, type RootLayout, sandboxWorkTree } from "./bwrap-arguments.ts";
import { Cgroup, type CgroupLayout, detectCgroups } from "./cgroup.ts";
import { EtcView } from "./etc-view.ts";
import { noNewProcessesFilter } from "./seccomp-filter.ts";

/**
 * The `bwrap` driver: each command runs in a fresh bubblewrap sandbox
 * (./bwrap-arguments.ts says what it sees), inside a cgroup of the
 * session's that limits its memory, CPU share and processes and counts its
 * CPU time (./cgroup.ts); without `proc`, under a seccomp filter that
 * refuses new processes (./seccomp-filter.ts). Where no cgroup can be made
 * (no cgroupfs, not root, no delegation), `prlimit` limits address space
 * and processes instead, and CPU time is not counted.
 *
 * The work tree is the host's (./host-tree.ts), bound at /flow/work. A sandbox
 * lasts one command: nothing a command leaves running outlives it, and
 * the next starts clean but for the tree.
 */
export interface BwrapOptions {
  /** The project directory: relative `share` paths are taken from it, and its `.flow` is hidden. */
  readonly projectDir: string;
  /** Where the cgroup trees are (tests point it elsewhere); null: do not use cgroups. */
  readonly cgroupRoot?: string | null;
}

export function bwrapDriver(options: BwrapOptions): SandboxDriver {
  const cgroups = options.cgroupRoot === null ? null : detectCgroups(options.cgroupRoot);
  let reaped: Promise<void> | null = null;
  return {
    name: "bwrap",
    isolation: "namespaces",
    sharesHostPaths: true,
    async acquire(request: SandboxRequest): Promise<SandboxSession> {
      // Groups a killed flow left behind (its sandboxes died with it: --die-with-parent) are removed once, before the first.
      reaped ??= cgroups === null ? Promise.resolve() : reapStaleGroups(cgroups);
      await reaped;
      const plan = sandboxPlan(request, options.projectDir);
      const tree = await HostTree.prepare(request);
      const cgroup = cgroups === null ? null : await Cgroup.create(cgroups, nextGroupName(), limitsOf(request.profile));
      etcView ??= new EtcView(etcAllowList);
      return new BwrapSession(tree, request.profile, plan, cgroup, etcView);
    },
  };
}

/** One copy of /etc per process, whatever the number of drivers (each test makes its own). */
let etcView: EtcView | null = null;

/** Whether bubblewrap is installed and can make a sandbox here (a container may forbid namespaces): what `auto` asks. */
export function bwrapWorks(): boolean {
  const result = spawnSync("bwrap", ["--ro-bind", "/", "/", "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "/usr/bin/true"], { stdio: "ignore", timeout: 10_000 });
  return result.status === 0;
}

/** What a sandbox of this request is, less the command: the parts of the bwrap command line that do not change between commands. */
type SessionPlan = Omit<BwrapPlan, "command" | "env" | "seccompFd" | "statusFd" | "tree" | "etc"> & {
  readonly proc: boolean;
  readonly env: Readonly<Record<string, string>>;
};

function sandboxPlan(request: SandboxRequest, projectDir: string): SessionPlan {
  const effects = new Set(request.effects.map((effect) => effect.name));
  const { profile } = request;
  const shares = profile.share.map((share) => resolve(projectDir, share));
  for (const share of shares) {
    if (!existsSync(share)) throw new Error(`sandbox profile "${profile.name}" shares ${share}, which does not exist`);
  }
  for (const share of shares) {
    if (isInside(share, sandboxWorkTree) || isInside(sandboxWorkTree, share)) {
      throw new Error(`sandbox profile "${profile.name}" shares ${share}, which overlaps ${sandboxWorkTree}, where the sandbox has its work tree`);
    }
  }
  const flowDir = join(resolve(projectDir), ".flow");
  const hidden = existsSync(flowDir) && shares.some((share) => flowDir === share || flowDir.startsWith(`${share}/`)) ? [flowDir] : [];
  if (!effects.has("proc") && process.arch !== "x64") {
    throw new Error(`the bwrap driver refuses new processes with a seccomp filter for x86_64, and this machine is ${process.arch}: grant \`proc\` or use the microvm driver`);
  }
  return {
    treeAccess: effects.has("fs.write") ? "write" : effects.has("fs.read") ? "read" : "none",
    net: effects.has("net"),
    proc: effects.has("proc"),
    root: profile.base === null ? hostRootLayout() : baseRootLayout(resolve(projectDir, profile.base), profile.name),
    shares,
    hidden,
    env: sandboxEnvironment(profile),
  };
}

/** PATH, HOME and the locale, then the profile's variables (`$NAME` taken from flow's environment). */
function sandboxEnvironment(profile: ResolvedProfile): Record<string, string> {
  const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
  for (const [name, value] of Object.entries(profile.env)) {
    if (!value.startsWith("$")) {
      env[name] = value;
      continue;
    }
    const from = process.env[value.slice(1)];
    if (from === undefined) throw new Error(`sandbox profile "${profile.name}" passes ${name} from $${value.slice(1)}, which flow's environment does not have`);
    env[name] = from;
  }
  return env;
}

let hostRoot: RootLayout | null = null;

/** The host's /usr, and which of its /bin, /sbin, /lib… lead into it (merged /usr) or are directories to bind as they are. */
function hostRootLayout(): RootLayout {
  hostRoot ??= layoutOf("/", ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"], "host");
  return hostRoot;
}

/** Every top-level entry of a profile's own root but those the sandbox mounts itself. */
function baseRootLayout(dir: string, profile: string): RootLayout {
  if (!existsSync(dir)) throw new Error(`sandbox profile "${profile}" has its root (base) at ${dir}, which does not exist`);
  return layoutOf(dir, readdirSync(dir).sort(), "base");
}

function layoutOf(dir: string, names: readonly string[], kind: RootLayout["kind"]): RootLayout {
  const links: [string, string][] = [];
  const binds: string[] = [];
  for (const name of names) {
    if (mountedBySandbox.has(name)) continue;
    const info = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (info === undefined) continue;
    if (info.isSymbolicLink()) links.push([name, readlinkSync(join(dir, name))]);
    else binds.push(name);
  }
  return { kind, dir, links, binds };
}

function limitsOf(profile: ResolvedProfile) {
  return { memoryBytes: profile.memoryMb * 1024 * 1024, cpus: profile.cpus, pids: profile.pids };
}

/** Groups are named `PID-N`: the process that made them, so a later one can tell a dead process's groups. */
let groupsMade = 0;
function nextGroupName(): string {
  return `${process.pid}-${++groupsMade}`;
}

/**
 * Removes the groups of flow processes that are gone (killed: a clean
 * release removes its own), ending whatever still runs in them; the
 * sandboxes died with their flow, so that is at most a process the kernel
 * is still taking down.
 */
async function reapStaleGroups(layout: CgroupLayout): Promise<void> {
  for (const name of Cgroup.names(layout)) {
    const owner = /^(\d+)-\d+$/.exec(name)?.[1];
    if (owner === undefined || existsSync(`/proc/${owner}`)) continue;
    await Cgroup.existing(layout, name).remove();
  }
}

/** The launcher's script: join the sandbox's cgroup (every tree's `cgroup.procs`), then become bwrap. */
const joinCgroupThenExec = 'for f in $FLOW_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; unset FLOW_CGROUP_PROCS; exec "$@"';

class BwrapSession extends TreeSession {
  constructor(
    tree: HostTree,
    private readonly profile: ResolvedProfile,
    private readonly plan: SessionPlan,
    private readonly cgroup: Cgroup | null,
    private readonly etc: EtcView,
  ) {
    super(tree);
  }

  /** The group's OOM kills after the last command (a new group has none): a command that raises it was killed for memory. */
  private oomKills = 0;

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const pipes: ExtraPipe[] = [];
    if (!this.plan.proc) pipes.push({ input: noNewProcessesFilter });
    let status = "";
    pipes.push({ output: (text) => (status = text) });
    const args = bwrapArguments({
      ...this.plan,
      tree: this.tree.root,
      etc: this.etc.dir(),
      env: { ...this.plan.env, ...options.env },
      seccompFd: this.plan.proc ? null : 3,
      statusFd: pipes.length + 2,
      command,
    });
    // The launcher's own environment: FLOW_STEP_ID lets host-tree.ts recognise the step's group after a crash.
    const stepId = options.env["FLOW_STEP_ID"];
    const launcherEnv: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", ...(stepId === undefined ? {} : { FLOW_STEP_ID: stepId }) };
    let argv: [string, ...string[]];
    if (this.cgroup !== null) {
      launcherEnv["FLOW_CGROUP_PROCS"] = this.cgroup.procsFiles.join(" ");
      argv = ["/bin/sh", "-c", joinCgroupThenExec, "flow-sandbox", "bwrap", ...args];
    } else {
      const { memoryBytes, pids } = limitsOf(this.profile);
      argv = ["prlimit", `--as=${memoryBytes}`, `--nproc=${pids}`, "bwrap", ...args];
    }
    const result = await runShell(argv, this.tree.root, { ...options, timeoutMs: options.timeoutMs ?? this.profile.timeoutMs, launcherEnv, pipes }, this.tree.stepTracker(stepId));
    const oomKills = (await this.cgroup?.oomKills()) ?? 0;
    const outOfMemory = oomKills > this.oomKills;
    this.oomKills = oomKills;
    // bwrap reports the command's exit on its status descriptor; without it, bwrap itself failed to make the sandbox.
    if (!result.timedOut && !outOfMemory && !/"exit-code"/.test(status)) {
      const reason = result.stderr.split("\n").find((line) => line.startsWith("bwrap: ")) ?? `bwrap exited with ${result.exit}`;
      throw new Error(`could not start the sandbox: ${reason.replace(/^bwrap: /, "")}`);
    }
    return { ...result, outOfMemory };
  }

  async cpuMs(): Promise<number | null> {
    return this.cgroup === null ? null : this.cgroup.cpuMs();
  }

  async release(): Promise<void> {
    await this.cgroup?.remove();
  }
}

/** The sandboxes' groups: what tests look at for leftovers. */
export function flowGroups(layout: CgroupLayout): string[] {
  return Cgroup.names(layout).filter((name) => /^\d+-\d+$/.test(name));
}
