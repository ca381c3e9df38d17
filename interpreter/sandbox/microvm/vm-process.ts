import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MicrovmError } from "./microvm-error.ts";
import { qemuBinary } from "./qemu-command.ts";
import type { RuntimeDir } from "./runtime-dir.ts";

/**
 * One QEMU process: a template being booted or a clone serving a session.
 *
 * It dies with this process: QEMU is started through `setpriv --pdeathsig
 * KILL`, so the kernel kills it when flow dies, even by SIGKILL (nothing of
 * flow's runs then); runtime-dir.ts's reaper is the second line, for a
 * machine without setpriv.
 */
export class VmProcess {
  private exited = false;
  private readonly stderr: Buffer[] = [];
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    /** The VM's own directory: its sockets and console log. */
    readonly dir: string,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => {
      if (this.stderr.length < 64) this.stderr.push(chunk);
    });
    this.exit = new Promise((resolve) => child.on("exit", () => ((this.exited = true), resolve())));
  }

  /** `fd3`: a file QEMU gets as its fd 3 (a clone's saved state, read by `migrate-incoming fd:3`). */
  static async start(argv: readonly string[], runtime: RuntimeDir, name: string, fd3?: number): Promise<VmProcess> {
    const dir = await runtime.vmDir(name);
    const [binary, ...args] = argv;
    if (binary !== qemuBinary) throw new Error(`not a QEMU command line: ${binary}`);
    const child = spawn(...launcher(binary, args), { stdio: ["ignore", "ignore", "pipe", ...(fd3 === undefined ? [] : [fd3])], detached: true, cwd: dir });
    const started = await new Promise<Error | null>((resolve) => {
      child.once("spawn", () => resolve(null));
      child.once("error", (error) => resolve(error));
    });
    if (started !== null) throw new MicrovmError(`cannot start ${qemuBinary}: ${started.message}`, "apt-get install qemu-system-x86");
    const vm = new VmProcess(child, dir);
    await runtime.recordPid(dir, child.pid!);
    return vm;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** QEMU's and its threads' CPU time (user + system), in ms; null once it has exited. */
  async cpuMs(): Promise<number | null> {
    const stat = await readFile(`/proc/${this.pid}/stat`, "utf8").catch(() => null);
    if (stat === null || this.exited) return null;
    // Fields after the command's name, which may hold spaces: utime and stime are the 14th and 15th, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** Kills QEMU (the guest has nothing to save) and waits until it is gone. */
  async kill(): Promise<void> {
    if (!this.exited) {
      try {
        process.kill(this.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await this.exit;
  }

  /** Why the VM failed, for an error: what QEMU said and the end of the guest's console. */
  async diagnosis(): Promise<string> {
    const said = Buffer.concat(this.stderr).toString().trim().split("\n").filter((line) => !line.includes("is not connected to host network"));
    const console = await readFile(join(this.dir, "console.log"), "utf8").catch(() => "");
    const tail = console.trim().split("\n").slice(-5);
    return [...said.slice(-3).map((line) => `qemu: ${line}`), ...tail.map((line) => `guest: ${line}`)].join("\n");
  }
}

/** `setpriv --pdeathsig KILL -- qemu …` where setpriv exists (util-linux: everywhere on Debian). */
function launcher(binary: string, args: readonly string[]): [string, string[]] {
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));
  return setpriv === undefined ? [binary, [...args]] : [setpriv, ["--pdeathsig", "KILL", "--", binary, ...args]];
}
