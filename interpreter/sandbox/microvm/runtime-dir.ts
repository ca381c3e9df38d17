import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isOwnDir } from "../own-dir.ts";
import { processEnded, processStat } from "../process-state.ts";

/**
 * The directory this process keeps its VMs' sockets, console logs and
 * QEMU pids in: `$TMPDIR/flow-microvm-PID-RANDOM/NAME/`. Under the temporary
 * directory rather than the cache, because a unix socket's path may not be
 * longer than 107 bytes.
 *
 * It also reaps: a directory whose owner is gone (killed before it could
 * clean up) has its QEMU processes killed, if any still run, and is removed.
 * QEMU normally dies with flow (vm-process.ts); this covers a machine
 * without setpriv, and the files in any case.
 *
 * The temporary directory is everyone's, and flow often runs as root: the
 * directory is made by mkdtemp (0700, under a name no one could take
 * first; a directory someone made ahead would have held the VMs' QMP
 * sockets), and only a directory (not a link to one) of this user's that
 * no other user may write in is reaped. Anyone can make a `flow-microvm-…`
 * directory: reaping theirs would kill whatever process its pid files
 * name, and removing it could be steered elsewhere (a directory swapped
 * for a symbolic link while it is emptied).
 */
export class RuntimeDir {
  private counter = 0;

  private constructor(readonly path: string) {}

  static async create(): Promise<RuntimeDir> {
    await reapOrphans();
    const path = await mkdtemp(join(tmpdir(), `flow-microvm-${process.pid}-`));
    await writeFile(join(path, "owner"), `${process.pid} ${startTime(process.pid)}\n`);
    return new RuntimeDir(path);
  }

  /** A fresh directory for one VM. */
  async vmDir(name: string): Promise<string> {
    const dir = join(this.path, `${name}-${++this.counter}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async recordPid(vmDir: string, pid: number): Promise<void> {
    await writeFile(join(vmDir, "qemu.pid"), `${pid} ${startTime(pid)}\n`);
  }

  async removeVmDir(vmDir: string): Promise<void> {
    await rm(vmDir, { recursive: true, force: true });
  }

  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}

/** Kills what every dead flow process's runtime directory still runs, and removes the directories. */
export async function reapOrphans(): Promise<number> {
  let killed = 0;
  const base = tmpdir();
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith("flow-microvm-")) continue;
    const dir = join(base, name);
    const stat = await lstat(dir).catch(() => null);
    if (stat === null || !isOwnDir(stat)) continue;
    if (await stillRunning(join(dir, "owner"))) continue;
    for (const vm of await readdir(dir).catch(() => [] as string[])) {
      const pidFile = join(dir, vm, "qemu.pid");
      if (!(await stillRunning(pidFile))) continue;
      const pid = Number((await readFile(pidFile, "utf8")).split(" ")[0]);
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // Ended meanwhile.
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
  return killed;
}

/** Whether the process a `PID STARTTIME` file names still runs: the start time tells a reused pid apart, and a killed one not yet reaped has ended. */
async function stillRunning(file: string): Promise<boolean> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return false;
  const [pid, recorded] = text.trim().split(" ");
  if (pid === undefined || recorded === undefined) return false;
  return !processEnded(Number(pid)) && startTime(Number(pid)) === recorded;
}

/** The process's start time since boot, in clock ticks (the 22nd field of /proc/PID/stat); "" when it does not exist. */
function startTime(pid: number): string {
  return processStat(pid)?.startTime ?? "";
}
