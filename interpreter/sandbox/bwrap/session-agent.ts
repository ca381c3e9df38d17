import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { openSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
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

/** The agent's argv inside the sandbox: without `proc`, the commands' seccomp filter goes with it, in hex. */
export function agentArgv(filter: Buffer | null): string[] {
  return ["/proc/self/fd/3", "--sandbox", ...(filter === null ? [] : [filter.toString("hex")])];
}

/** A sandbox running its agent: bwrap (behind its launcher), the agent's connection, and what bwrap said on stderr. */
export class RunningSandbox {
  private stderrText = "";
  private greetedYet = false;
  private exitedYet = false;
  readonly exited: Promise<void>;
  readonly agent: GuestAgent;
  private readonly child: ChildProcess;

  constructor(argv: readonly [string, ...string[]], cwd: string, env: Readonly<Record<string, string>>, binary: SandboxAgentBinary) {
    const [file, ...args] = argv;
    // A process group of its own: what is left of it after a failed stop is killed at once.
    this.child = spawn(file, args, { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe", binary.fd] });
    const child = this.child;
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

  /** Ends the sandbox: the agent, told its host is gone, kills its commands and exits, and bwrap with it; killed if it does not within a second. */
  async stop(): Promise<void> {
    this.agent.close();
    const stopped = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref())]);
    if (stopped) return;
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
    await this.exited;
  }
}
