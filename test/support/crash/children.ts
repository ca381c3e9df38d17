import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * Child processes of the crash test: each `flow` command runs as the
 * leader of a process group of its own, so that a SIGKILL reaches the
 * whole group as a crash of the machine's power would, and so that
 * whatever is left of them can be found and ended when a test fails.
 */

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Every group started and not yet seen to end: ended if the test process leaves early. */
const live = new Set<FlowProcess>();
let exitHookInstalled = false;

export class FlowProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;
  private ended: Exit | null = null;
  private readonly waiting: { readonly lines: number; readonly resolve: () => void }[] = [];

  constructor(
    private readonly child: ChildProcess,
    readonly command: string,
  ) {
    live.add(this);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
      this.wakeWaiting();
    });
    this.exited = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        this.ended = { code, signal };
        live.delete(this);
        this.wakeWaiting();
        resolve(this.ended);
      });
      child.on("error", (error) => {
        this.stderr += `could not start: ${error.message}\n`;
        this.ended = { code: null, signal: null };
        live.delete(this);
        this.wakeWaiting();
        resolve(this.ended);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.command}: not started`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.ended === null;
  }

  /** Lines written to standard error so far (the live progress: one a durable batch of entries). */
  get stderrLines(): number {
    let n = 0;
    for (const c of this.stderr) if (c === "\n") n++;
    return n;
  }

  /** Resolves once standard output has a line starting with `prefix` (and gives it), or the process has ended (null). */
  async untilStdoutLine(prefix: string): Promise<string | null> {
    for (;;) {
      const line = this.stdout.split("\n").find((l) => l.startsWith(prefix));
      if (line !== undefined) return line;
      if (this.ended !== null) return null;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Resolves once standard error has `lines` lines, or the process has ended. */
  untilStderrLines(lines: number): Promise<void> {
    if (this.ended !== null || this.stderrLines >= lines) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ lines, resolve }));
  }

  /** Sends `signal` to the whole process group; false when it had ended already. */
  signalGroup(signal: NodeJS.Signals): boolean {
    if (this.ended !== null || this.child.pid === undefined) return false;
    try {
      process.kill(-this.child.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  private wakeWaiting(): void {
    const lines = this.ended === null ? this.stderrLines : Number.POSITIVE_INFINITY;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const waiter = this.waiting[i];
      if (waiter !== undefined && lines >= waiter.lines) {
        this.waiting.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

/** Starts `bin args…` in `cwd` as a process group of its own. */
export function spawnGroup(bin: string, args: readonly string[], cwd: string, name = "flow"): FlowProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", killLiveGroups);
  }
  const env: Record<string, string> = { ...(process.env as Record<string, string>), NO_COLOR: "1" };
  for (const name of ["FORCE_COLOR", "FLOW_NO_SNAPSHOT", "FLOW_STORE", "FLOW_DIST"]) delete env[name];
  const child = spawn(bin, [...args], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  return new FlowProcess(child, `${name} ${args.join(" ")}`);
}

/** SIGKILLs every group this module started that has not ended. */
export function killLiveGroups(): void {
  for (const child of live) child.signalGroup("SIGKILL");
}

/**
 * The processes whose working directory lies under `dir` (Linux: /proc):
 * what a killed `flow` left running (its `sh` steps run in sessions of
 * their own, in their work trees), and a `--detach`ed `flow resume`.
 */
export function processesUnder(dir: string): number[] {
  if (!existsSync("/proc/self/cwd")) return [];
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${name}/cwd`);
    } catch {
      continue;
    }
    if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(name));
  }
  return found;
}

/** The process groups among `pids` (one a `sh` step: the shell leads a group of its own, with what it started). */
export function groupsOf(pids: readonly number[]): number[] {
  const groups = new Set<number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      groups.add(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]));
    } catch {
      // Gone since.
    }
  }
  return [...groups];
}

/** The command line of a process, or null once it is gone. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return null;
  }
}

/** Waits until no process works under `dir`; those still there after `ms` are SIGKILLed and returned. */
export async function drainProcessesUnder(dir: string, ms: number): Promise<number[]> {
  if (await waitUntil(() => processesUnder(dir).length === 0, ms)) return [];
  return killProcessesUnder(dir);
}

/** SIGKILLs every process working under `dir`, and their groups. */
export function killProcessesUnder(dir: string): number[] {
  const pids = processesUnder(dir);
  for (const pid of pids) killProcess(pid);
  return pids;
}

function killProcess(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // Gone already, or not a group leader.
    }
  }
}

/** Whether a process (not necessarily a child of this one) exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Polls `ready` every 20 ms until it holds; false once `ms` have passed. */
export async function waitUntil(ready: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
