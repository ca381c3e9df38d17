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
import { endInBackground } from "./ending-sandboxes.ts";
import { EtcView } from "./etc-view.ts";
import { noNewProcessesFilter } from "./seccomp-filter.ts";
import { joinCgroups, launcherArgv, RunningSandbox, type SandboxAgentBinary, sandboxAgent } from "./session-agent.ts";
import { startSpares, takeSpare } from "./spare-sandboxes.ts";
import { type AttachedAccess, spareHelper } from "./spare-helper.ts";

/**
 * The `bwrap` driver: each command runs in a fresh bubblewrap sandbox
 * (./bwrap-arguments.ts says what it sees), inside a cgroup of the
 * session's that limits its memory, CPU share and processes and counts its
 * CPU time (./cgroup.ts); without `proc`, under a seccomp filter that
 * refuses new processes (./seccomp-filter.ts). Where no cgroup can be made
 * (no cgroupfs, not root, no delegation), `prlimit` limits address space
 * and processes instead, and CPU time is not counted.
 *
 * The work tree is the host's (./host-tree.ts), at /flow/work. A session
 * has one sandbox, kept until release: flow's agent runs in it
 * (./session-agent.ts) and forks each command, so a command costs a fork,
 * not a new sandbox. The sandbox is made ahead, in a cgroup of its own
 * (./spare-sandboxes.ts): an acquire takes one made for its shape (every
 * argument of bwrap's but the tree), writes its profile's limits into the
 * group and has the tree mounted at /flow/work (./spare-helper.ts); a
 * session with no such spare has bwrap make its sandbox at its first
 * command, binding the tree, from a spare launcher's group or its own.
 * Release answers at once and ends the sandbox behind
 * (./ending-sandboxes.ts). Nothing a command leaves running outlives it
 * (the agent ends its process group, and every other process no running
 * command owns, when its shell exits); what it leaves in /tmp stays for
 * the session's next command, as in a VM. Where the agent cannot be
 * built, each command gets a fresh sandbox instead.
 */
export interface BwrapOptions {
  /** The project directory: relative `share` paths are taken from it, and its `.flow` is hidden. */
  readonly projectDir: string;
  /** Where the cgroup trees are (tests point it elsewhere); null: do not use cgroups. */
  readonly cgroupRoot?: string | null;
  /** false: a fresh sandbox per command, without the agent (what a machine without a C compiler gets). */
  readonly sessionAgent?: boolean;
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
      const built = options.sessionAgent === false ? null : await sandboxAgent();
      const agent = built !== null && "fd" in built ? built : null;
      const limits = limitsOf(request.profile);
      etcView ??= new EtcView(etcAllowList);
      // Spares are made in a cgroup of their own, with the agent: none where either is missing.
      const shape = cgroups === null || agent === null ? null : { layout: cgroups, binary: agent, args: agentSandboxArguments(plan, etcView.dir(), null) };
      const group = (async () => {
        const spare = shape === null ? null : await takeSpare(shape);
        if (spare === null) return { spare, cgroup: cgroups === null ? null : await Cgroup.create(cgroups, nextGroupName(), limits) };
        spare.cgroup.limit(limits);
        return { spare, cgroup: spare.cgroup };
      })();
      // The tree and the group (a spare's, given this profile's limits, or a new one) are independent: made side by side.
      const [tree, { spare, cgroup }] = await Promise.all([HostTree.prepare(request), group]).catch(async (error: unknown) => {
        const made = await group.catch(() => null);
        if (made?.spare) await made.spare.sandbox.stop().then(() => made.spare.cgroup.remove());
        throw error;
      });
      // A spare launcher (a spare of no shape) is launched by the session's first command, with the tree among bwrap's arguments.
      const ahead = spare === null ? null : spare.sandbox.launched && agent !== null ? await withTree(spare.sandbox, agent, tree, plan.treeAccess) : spare.sandbox;
      const next = shape === null ? undefined : () => startSpares(shape, nextGroupName);
      return new BwrapSession(tree, request.profile, plan, cgroup, etcView, agent, ahead, next);
    },
  };
}

let madeAhead = 0;

/** How many sessions of this process run in a sandbox made ahead (a spare's, their tree mounted in it): what a test checks. */
export function sessionsMadeAhead(): number {
  return madeAhead;
}

/** The spare's sandbox with the session's tree mounted in it (none to mount without `fs.read` or `fs.write`); null, and the spare ended, where it could not be. */
async function withTree(sandbox: RunningSandbox, binary: SandboxAgentBinary, tree: HostTree, access: SessionPlan["treeAccess"]): Promise<RunningSandbox | null> {
  if (access === "none" || (await attachTree(sandbox, binary, tree, access))) {
    madeAhead++;
    return sandbox;
  }
  // The session's first command then has bwrap make its sandbox, binding the tree, in the same group.
  void sandbox.stop();
  return null;
}

/** Mounts the tree in the sandbox: whether it could. */
async function attachTree(sandbox: RunningSandbox, binary: SandboxAgentBinary, tree: HostTree, access: AttachedAccess): Promise<boolean> {
  const helper = await spareHelper(binary);
  if (!("attach" in helper) || sandbox.pid === undefined) return false;
  return helper.attach(sandbox.pid, tree.root, access).then(
    () => true,
    () => false,
  );
}

/** One copy of /etc per process, whatever the number of drivers (each test makes its own). */
let etcView: EtcView | null = null;

/** Whether bubblewrap is installed and can make a sandbox here (a container may forbid namespaces): what `auto` asks. */
export function bwrapWorks(): boolean {
  const result = spawnSync("bwrap", ["--ro-bind", "/", "/", "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "/usr/bin/true"], { stdio: "ignore", timeout: 10_000 });
  return result.status === 0;
}

/** What a sandbox of this request is, less the command: the parts of the bwrap command line that do not change between commands. */
type SessionPlan = Omit<BwrapPlan, "run" | "env" | "seccompFd" | "statusFd" | "tree" | "etc"> & {
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

/**
 * bwrap's arguments for a session's sandbox, running the agent: with the
 * tree bound, or (TREE null, a spare's) with an empty /flow/work, which
 * the tree is mounted onto when a session takes it. The agent's own
 * environment is the seccomp filter it puts its commands under (theirs
 * comes with each command).
 */
function agentSandboxArguments(plan: SessionPlan, etc: string, tree: string | null): string[] {
  return bwrapArguments({
    ...plan,
    ...(tree === null ? { tree: "", treeAccess: "none" } : { tree }),
    etc,
    env: plan.proc ? {} : { FLOW_COMMAND_FILTER: noNewProcessesFilter.toString("hex") },
    seccompFd: null,
    statusFd: null,
    run: { agent: [] },
  });
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

/** A command's launcher (a sandbox per command): join the sandbox's cgroup, then become bwrap. */
const joinCgroupThenExec = `${joinCgroups}; exec "$@"`;

class BwrapSession extends TreeSession {
  constructor(
    tree: HostTree,
    private readonly profile: ResolvedProfile,
    private readonly plan: SessionPlan,
    private readonly cgroup: Cgroup | null,
    private readonly etc: EtcView,
    /** The agent to run in a session's sandbox; null: a sandbox per command. */
    private readonly agentBinary: SandboxAgentBinary | null,
    /** A spare's sandbox, with the session's tree in it, or a spare launcher for the first command to launch; null: neither. */
    ahead: RunningSandbox | null,
    /** Starts spares for the sessions after this one, at its first command (undefined: none are kept here). */
    private startNextSpares?: () => void,
  ) {
    super(tree);
    if (ahead?.launched) this.sandbox = ahead;
    else this.spareLauncher = ahead;
  }

  /** The session's sandbox: made ahead, or once a command needs it; made again if it ended (a command killed its agent). */
  private sandbox: RunningSandbox | null = null;
  /** A spare launcher, in the session's group, for the sandbox the first command makes (never both it and `sandbox`). */
  private spareLauncher: RunningSandbox | null = null;

  /** The group's OOM kills after the last command (a new group has none): a command that raises it was killed for memory. */
  private oomKills = 0;
  private released = false;
  /** Commands running now: a release then waits for their processes to end. */
  private running = 0;

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.released) throw new Error("the bwrap sandbox of this session was released");
    this.running++;
    try {
      const result = this.agentBinary === null ? await this.execAlone(command, options) : await this.execInSession(command, options, this.agentBinary);
      return { ...result, outOfMemory: this.killedForMemory() };
    } finally {
      this.running--;
    }
  }

  /** Whether the group's OOM kills rose since the last command. */
  private killedForMemory(): boolean {
    const oomKills = this.cgroup?.oomKills() ?? 0;
    const outOfMemory = oomKills > this.oomKills;
    this.oomKills = oomKills;
    return outOfMemory;
  }

  /** The launcher's argv for bwrap's `args`: join the cgroup, or take prlimit's limits where there is none. */
  private launcher(args: readonly string[], stepId: string | undefined): { argv: [string, ...string[]]; env: Record<string, string> } {
    // The launcher's own environment: FLOW_STEP_ID lets host-tree.ts recognise the step's group after a crash.
    const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", ...(stepId === undefined ? {} : { FLOW_STEP_ID: stepId }) };
    if (this.cgroup !== null) {
      env["FLOW_CGROUP_PROCS"] = this.cgroup.procsFiles.join(" ");
      return { argv: ["/bin/sh", "-c", joinCgroupThenExec, "flow-sandbox", "bwrap", ...args], env };
    }
    return { argv: [...this.prlimit(), "bwrap", ...args], env };
  }

  /** Where there is no cgroup: prlimit's command line, holding what it runs to the profile's address space and processes. */
  private prlimit(): [string, ...string[]] {
    const { memoryBytes, pids } = limitsOf(this.profile);
    return ["prlimit", `--as=${memoryBytes}`, `--nproc=${pids}`];
  }

  /** A session launcher's argv and environment: joining the session's group, or under prlimit's limits where there is none. */
  private ownLauncher(): [[string, ...string[]], Record<string, string>] {
    const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin" };
    if (this.cgroup !== null) return [launcherArgv([]), { ...env, FLOW_CGROUP_PROCS: this.cgroup.procsFiles.join(" ") }];
    return [launcherArgv(this.prlimit()), env];
  }

  private async execInSession(command: string, options: ExecOptions, binary: SandboxAgentBinary): Promise<Omit<ExecResult, "outOfMemory">> {
    if (this.sandbox === null || !this.sandbox.alive) {
      void this.sandbox?.stop();
      this.sandbox = this.startSandbox(binary);
    }
    const sandbox = this.sandbox;
    try {
      const running = sandbox.agent.exec({
        command,
        cwd: sandboxWorkTree,
        env: { ...this.plan.env, ...options.env },
        timeoutMs: options.timeoutMs ?? this.profile.timeoutMs,
        pidsMax: 0,
        signal: options.signal,
        ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
      });
      // Starting the next sessions' spares overlaps this command, not the session's start.
      this.startNextSpares?.();
      this.startNextSpares = undefined;
      return await running;
    } catch (error) {
      if (options.signal.aborted) throw error;
      // The connection ended: bwrap could not make the sandbox, or the sandbox ended under the command (the OOM killer took the agent), or the agent
      // did not end the command long past its timeout. Whichever, the sandbox is ended (killed if it does not end), and the next command gets a new one.
      await sandbox.stop();
      if (!sandbox.started) throw new Error(`could not start the sandbox: ${sandbox.failure()}`);
      return { exit: 137, stdout: "", stderr: "[flow: the sandbox ended while the command ran, or stopped answering; the next command gets a new one]\n", timedOut: false };
    }
  }

  /**
   * Starts the session's sandbox with the agent in it, where none was made
   * ahead or it ended: a launcher in the session's group (the spare
   * launcher the session took, or its own; or one under prlimit) becomes
   * bwrap, which binds the tree as it makes the sandbox. The first
   * command is sent at once, and waits in the pipe until the agent reads
   * it. No step's group is recorded for a crash to end (as a command's own
   * sandbox is): the sandbox serves every step of the session, and dies
   * with this process (bwrap's --die-with-parent, and a launcher waiting
   * for its arguments ends with its pipe).
   */
  private startSandbox(binary: SandboxAgentBinary): RunningSandbox {
    const launcher = this.spareLauncher;
    this.spareLauncher = null;
    const sandbox = launcher !== null && launcher.alive ? launcher : RunningSandbox.spawn(...this.ownLauncher(), binary);
    if (sandbox !== launcher) void launcher?.stop();
    sandbox.launch(agentSandboxArguments(this.plan, this.etc.dir(), this.tree.root));
    return sandbox;
  }

  /** A command in a bwrap sandbox of its own. */
  private async execAlone(command: string, options: ExecOptions): Promise<Omit<ExecResult, "outOfMemory">> {
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
      run: { command },
    });
    const stepId = options.env["FLOW_STEP_ID"];
    const { argv, env } = this.launcher(args, stepId);
    const result = await runShell(argv, this.tree.root, { ...options, timeoutMs: options.timeoutMs ?? this.profile.timeoutMs, launcherEnv: env, pipes }, this.tree.stepTracker(stepId));
    // bwrap reports the command's exit on its status descriptor; without it, bwrap itself failed to make the sandbox (or the command was killed).
    if (!result.timedOut && !/"exit-code"/.test(status) && !this.cgroupKilledForMemory()) {
      const reason = result.stderr.split("\n").find((line) => line.startsWith("bwrap: ")) ?? `bwrap exited with ${result.exit}`;
      throw new Error(`could not start the sandbox: ${reason.replace(/^bwrap: /, "")}`);
    }
    return result;
  }

  /** Whether the group's OOM kills are above the count of the last command, without taking them as seen. */
  private cgroupKilledForMemory(): boolean {
    return (this.cgroup?.oomKills() ?? 0) > this.oomKills;
  }

  async cpuMs(): Promise<number | null> {
    return this.cgroup === null ? null : this.cgroup.cpuMs();
  }

  /**
   * Ends the sandbox and removes the group. With no command running, the
   * sandbox holds nothing but the agent (each command's processes ended
   * with it), so that is done after answering (./ending-sandboxes.ts);
   * with one running, its processes are ended before release answers.
   */
  async release(): Promise<void> {
    this.released = true;
    const sandbox = this.sandbox ?? this.spareLauncher;
    this.sandbox = null;
    this.spareLauncher = null;
    // A session that ran no command has not started them yet.
    this.startNextSpares?.();
    this.startNextSpares = undefined;
    if (this.running === 0) return endInBackground(sandbox, this.cgroup);
    await sandbox?.stop();
    await this.cgroup?.remove();
  }
}

/** The sandboxes' groups: what tests look at for leftovers. */
export function flowGroups(layout: CgroupLayout): string[] {
  return Cgroup.names(layout).filter((name) => /^\d+-\d+$/.test(name));
}
