import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import agentSource from "../microvm/guest-agent.c?raw";
import { GuestAgent } from "../microvm/guest-agent.ts";
import { holdProcess } from "./process-hold.ts";
import { staticBinary } from "./static-binary.ts";

/**
 * A bwrap session's sandbox, made once and kept: one bubblewrap sandbox
 * whose program is flow's agent (the microVM guest's, ../microvm/guest-agent.c,
 * in its `--sandbox` mode), which runs each command the host sends it over
 * its stdin and stdout (the guest's framed protocol, ../microvm/guest-agent.ts).
 * A command then costs a fork and an exec in the sandbox, not a process of
 * this one's (a fork of node) and a new set of namespaces.
 *
 * The agent is compiled for this host, statically, once per version of its
 * source, into flow's cache (./static-binary.ts); it reaches the sandbox as an open
 * descriptor (fd 3, run as /proc/self/fd/3) rather than a file in it. Where
 * it cannot be built (no C compiler), `sandboxAgent` says why and the driver
 * makes a sandbox per command instead.
 *
 * A sandbox is started in two steps. Its launcher (a shell) is spawned
 * first: it joins the sandbox's cgroups (or runs under prlimit's limits)
 * and becomes bwrap, which waits for its arguments on fd 4; `launch` writes
 * them, and bwrap makes the sandbox. Joining a cgroup v1 costs ~10 ms (the
 * kernel waits out an RCU grace period), so the driver keeps sandboxes
 * made ahead of sessions, and a launcher (./spare-sandboxes.ts); those
 * sandboxes are started by flow's spare helper, the same way but from a
 * fork of its own, their agent's stdin and stdout a connection to this
 * process (./spare-helper.ts). Each sandbox serves one session.
 */
export interface SandboxAgentBinary {
  /** A read-only descriptor of the compiled agent, open for this process's life: the sandbox's fd 3. */
  readonly fd: number;
}

let built: Promise<SandboxAgentBinary | { readonly problem: string }> | null = null;

/** The agent for this host (built on first use, then found in the cache), or why there is none. */
export function sandboxAgent(cacheDir?: string): Promise<SandboxAgentBinary | { readonly problem: string }> {
  built ??= staticBinary({ name: "flow-agent", what: "agent", source: agentSource }, cacheDir).then(
    (path) => ({ fd: openSync(path, "r") }),
    (error: Error) => ({ problem: error.message }),
  );
  return built;
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

/**
 * A sandbox running its agent: bwrap (behind its launcher until `launch`),
 * the agent's connection, and what bwrap said on stderr. Spawned here (a
 * launcher, `spawn`), or started by the spare helper, bwrap's stdin and
 * stdout then a connection to this process (`connected`,
 * ./spare-helper.ts), launched already and with no stderr to read.
 */
export class RunningSandbox {
  private stderrText = "";
  private greetedYet = false;
  private exitedYet = false;
  private launchedYet: boolean;
  readonly exited: Promise<void>;
  readonly agent: GuestAgent;

  private constructor(
    private readonly host: { readonly child: ChildProcess } | { readonly socket: Socket; readonly pid: number },
  ) {
    const exited = new Promise<void>((resolve) => {
      if ("child" in host) {
        host.child.on("exit", () => resolve());
        host.child.on("error", () => resolve());
      } else host.socket.on("close", () => resolve());
    });
    this.exited = exited.then(() => {
      this.exitedYet = true;
    });
    if ("child" in host) {
      const { child } = host;
      this.launchedYet = false;
      child.stdio[4]?.on("error", () => undefined);
      child.stderr?.on("data", (chunk: Buffer) => {
        if (this.stderrText.length < 64 * 1024) this.stderrText += chunk.toString("utf8");
      });
      this.agent = new GuestAgent({ input: child.stdout!, output: child.stdin!, close: () => child.stdin?.destroy() });
    } else {
      const { socket } = host;
      this.launchedYet = true;
      // The agent is told its host is gone by the end of its stdin: this end is shut for writing, and read to its close, which is bwrap's exit.
      this.agent = new GuestAgent({ input: socket, output: socket, close: () => socket.end() });
      // Paused until now (./spare-connections.ts read its opening line): what came after it reaches the agent's reader.
      socket.resume();
    }
    void this.agent.greeted.then(() => (this.greetedYet = true));
  }

  /** Spawns the launcher (`launcherArgv`), which waits in its cgroups for `launch`. */
  static spawn(argv: readonly [string, ...string[]], env: Readonly<Record<string, string>>, binary: SandboxAgentBinary): RunningSandbox {
    const [file, ...args] = argv;
    // A process group of its own: what is left of it after a failed stop is killed at once.
    return new RunningSandbox({ child: spawn(file, args, { cwd: "/", env, detached: true, stdio: ["pipe", "pipe", "pipe", binary.fd, "pipe"] }) });
  }

  /** A sandbox the spare helper started: bwrap PID (a process group's leader), whose stdin and stdout are SOCKET. */
  static connected(socket: Socket, pid: number): RunningSandbox {
    return new RunningSandbox({ socket, pid });
  }

  get pid(): number | undefined {
    return "child" in this.host ? this.host.child.pid : this.host.pid;
  }

  /**
   * Makes the sandbox: bwrap's arguments, ending in `--as-pid-1` (the agent
   * is the launcher's command), with the commands' seccomp filter, if any,
   * set as the agent's FLOW_COMMAND_FILTER. Once per sandbox.
   */
  launch(args: readonly string[]): void {
    if (this.launchedYet || !("child" in this.host)) throw new Error("a bwrap sandbox is launched once");
    this.launchedYet = true;
    (this.host.child.stdio[4] as Writable | null)?.end(Buffer.concat(args.map((arg) => Buffer.from(`${arg}\0`))));
  }

  /** Whether bwrap has its arguments: a launcher is launched once. */
  get launched(): boolean {
    return this.launchedYet;
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
    if (line !== undefined && line !== "") return line.replace(/^bwrap: /, "");
    return "child" in this.host ? `bwrap exited with ${this.host.child.exitCode ?? this.host.child.signalCode}` : "bwrap exited";
  }

  /**
   * Whether the launcher, its pipes and the agent's connection keep this
   * process alive: not while a spare waits (a process that is done exits,
   * and its exit ends the spare), again once a session has it.
   */
  holdsProcess(hold: boolean): void {
    holdProcess("child" in this.host ? [this.host.child, ...this.host.child.stdio] : [this.host.socket], hold);
  }

  /**
   * Kills the launcher and whatever it became, at once (this process is exiting). Not once it has exited: its pid, and
   * the process group it led, may be another's by then.
   */
  kill(): void {
    try {
      if (this.pid !== undefined && !this.exitedYet) process.kill(-this.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }

  /** Ends the sandbox: the agent, told its host is gone, kills its commands and exits, and bwrap with it; killed if it does not within a second. */
  async stop(): Promise<void> {
    this.agent.close();
    // A launcher not launched yet (a spare a session released unused) has nothing to end gracefully: killed, rather than have bwrap start on no arguments.
    if (!this.launchedYet) {
      this.kill();
      return this.exited;
    }
    const stopped = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref())]);
    if (stopped) return;
    this.kill();
    await this.exited;
  }
}
