import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { openSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { promisify } from "node:util";
import agentSource from "../microvm/guest-agent.c?raw";
import { microvmCacheDir } from "../microvm/cache-dir.ts";
import { GuestAgent } from "../microvm/guest-agent.ts";

/**
 * A bwrap session's sandbox, made once and kept: one bubblewrap sandbox
 * whose program is flow's agent (the microVM guest's, ../microvm/guest-agent.c,
 * in its `--sandbox` mode), which runs each command the host sends it over
 * its stdin and stdout (the guest's framed protocol, ../microvm/guest-agent.ts).
 * A command then costs a fork and an exec in the sandbox, not a process of
 * this one's (a fork of node) and a new set of namespaces.
 *
 * The agent is compiled for this host, statically, once per version of its
 * source, into flow's cache (`bwrap/`); it reaches the sandbox as an open
 * descriptor (fd 3, run as /proc/self/fd/3) rather than a file in it. Where
 * it cannot be built (no C compiler), `sandboxAgent` says why and the driver
 * makes a sandbox per command instead.
 *
 * A sandbox is started in two steps. Its launcher (a shell) is spawned
 * first: it joins the sandbox's cgroups (or runs under prlimit's limits)
 * and becomes bwrap, which waits for its arguments on fd 4; `launch` writes
 * them, and bwrap makes the sandbox. Joining a cgroup v1 costs ~10 ms (the
 * kernel waits out an RCU grace period) and starting bwrap ~1 ms more, so
 * the driver keeps one launcher that far ahead, in a group of its own
 * (./spare-sandboxes.ts); each is launched once, for one session, and
 * nothing of the sandbox exists before `launch`.
 */
export interface SandboxAgentBinary {
  /** A read-only descriptor of the compiled agent, open for this process's life: the sandbox's fd 3. */
  readonly fd: number;
}

let built: Promise<SandboxAgentBinary | { readonly problem: string }> | null = null;

/** The agent for this host (built on first use, then found in the cache), or why there is none. */
export function sandboxAgent(cacheDir = join(dirname(microvmCacheDir()), "bwrap")): Promise<SandboxAgentBinary | { readonly problem: string }> {
  built ??= buildAgent(cacheDir).catch((error: Error) => ({ problem: error.message }));
  return built;
}

async function buildAgent(cacheDir: string): Promise<SandboxAgentBinary> {
  const sha = createHash("sha256").update(agentSource).digest("hex").slice(0, 16);
  const path = join(cacheDir, `flow-agent-${sha}`);
  try {
    return { fd: openSync(path, "r") };
  } catch {
    // Not built yet (or removed): build it.
  }
  await mkdir(cacheDir, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  const source = `${partial}.c`;
  await writeFile(source, agentSource);
  try {
    await promisify(execFile)("gcc", ["-static", "-O2", "-s", "-Wall", "-o", partial, source]);
  } catch (error) {
    await rm(partial, { force: true });
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no C compiler (gcc)" : `compiling it failed: ${String((error as { stderr?: string }).stderr ?? error).trim().split("\n").slice(-2).join(" / ")}`;
    throw new Error(`the bwrap driver's agent cannot be built: ${reason}`);
  } finally {
    await rm(source, { force: true });
  }
  // Renamed into place: a process running beside this one finds a whole agent or none.
  await rename(partial, path);
  return { fd: openSync(path, "r") };
}

/** A cgroup launcher's first words: join the sandbox's cgroup (every tree's `cgroup.procs`, none where prlimit holds the limits instead). */
export const joinCgroups = 'for f in $FLOW_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; unset FLOW_CGROUP_PROCS';

/**
 * The session launcher's script: join the cgroups, then become bwrap, which
 * waits for its arguments on fd 4 (`launch`) and runs the agent as the
 * sandbox's pid 1. A launcher whose host is gone (fd 4 ends unwritten, or
 * cut short) makes no sandbox the agent runs in: without the arguments'
 * /proc there is no /proc/self/fd/3 to run, and without their
 * --as-pid-1 the agent refuses to (its namespaces are unshared here).
 */
const launcherScript = `${joinCgroups}; exec bwrap --unshare-all --args 4 /proc/self/fd/3 --sandbox`;

/** The launcher's argv: the shell, behind PREFIX (prlimit's, where there is no cgroup). */
export function launcherArgv(prefix: readonly string[]): [string, ...string[]] {
  const [file = "/bin/sh", ...args] = [...prefix, "/bin/sh", "-c", launcherScript, "flow-sandbox"];
  return [file, ...args];
}

/** A sandbox running its agent: bwrap (behind its launcher until `launch`), the agent's connection, and what bwrap said on stderr. */
export class RunningSandbox {
  private stderrText = "";
  private greetedYet = false;
  private exitedYet = false;
  private launched = false;
  readonly exited: Promise<void>;
  readonly agent: GuestAgent;
  private readonly child: ChildProcess;

  /** Spawns the launcher (`launcherArgv`), which waits in its cgroups for `launch`. */
  constructor(argv: readonly [string, ...string[]], env: Readonly<Record<string, string>>, binary: SandboxAgentBinary) {
    const [file, ...args] = argv;
    // A process group of its own: what is left of it after a failed stop is killed at once.
    this.child = spawn(file, args, { cwd: "/", env, detached: true, stdio: ["pipe", "pipe", "pipe", binary.fd, "pipe"] });
    const child = this.child;
    child.stdio[4]?.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      child.on("exit", () => resolve());
      child.on("error", () => resolve());
    });
    void this.exited.then(() => (this.exitedYet = true));
    child.stderr?.on("data", (chunk: Buffer) => {
      if (this.stderrText.length < 64 * 1024) this.stderrText += chunk.toString("utf8");
    });
    this.agent = new GuestAgent({ input: child.stdout!, output: child.stdin!, close: () => child.stdin?.destroy() });
    void this.agent.greeted.then(() => (this.greetedYet = true));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Makes the sandbox: bwrap's arguments, ending in `--as-pid-1` (the agent
   * is the launcher's command), with the commands' seccomp filter, if any,
   * set as the agent's FLOW_COMMAND_FILTER. Once per sandbox.
   */
  launch(args: readonly string[]): void {
    if (this.launched) throw new Error("a bwrap sandbox is launched once");
    this.launched = true;
    (this.child.stdio[4] as Writable | null)?.end(Buffer.concat(args.map((arg) => Buffer.from(`${arg}\0`))));
  }

  /** Whether the agent said it runs: bwrap made the sandbox. */
  get started(): boolean {
    return this.greetedYet;
  }

  /** Whether commands can still be sent to it. */
  get alive(): boolean {
    return !this.exitedYet && !this.agent.closed;
  }

  /** Why bwrap could not make the sandbox, as it said. */
  failure(): string {
    const line = this.stderrText.split("\n").find((text) => text.startsWith("bwrap: ")) ?? this.stderrText.trim().split("\n")[0];
    return line === undefined || line === "" ? `bwrap exited with ${this.child.exitCode ?? this.child.signalCode}` : line.replace(/^bwrap: /, "");
  }

  /**
   * Whether the launcher, its pipes and the agent's connection keep this
   * process alive: not while a spare waits (a process that is done exits,
   * and its exit ends the spare), again once a session has it.
   */
  holdsProcess(hold: boolean): void {
    if (hold) this.child.ref();
    else this.child.unref();
    for (const stream of this.child.stdio) {
      const socket = stream as { ref?: () => void; unref?: () => void } | null;
      if (hold) socket?.ref?.();
      else socket?.unref?.();
    }
  }

  /** Kills the launcher and whatever it became, at once (this process is exiting). */
  kill(): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }

  /** Ends the sandbox: the agent, told its host is gone, kills its commands and exits, and bwrap with it; killed if it does not within a second. */
  async stop(): Promise<void> {
    this.agent.close();
    // A launcher not launched yet (a spare a session released unused) has nothing to end gracefully: killed, rather than have bwrap start on no arguments.
    if (!this.launched) {
      this.kill();
      return this.exited;
    }
    const stopped = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref())]);
    if (stopped) return;
    this.kill();
    await this.exited;
  }
}
