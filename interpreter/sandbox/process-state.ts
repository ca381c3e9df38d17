import { readFileSync } from "node:fs";

/**
 * What `/proc/PID/stat` says of a process of this machine: its state and
 * its start time since boot (clock ticks, the 22nd field), or null when
 * there is no such process. A process that has ended but that its parent
 * has not reaped yet (a zombie, state Z) is still there: `kill(pid, 0)`
 * succeeds on it, which made a killed flow look alive until it was reaped.
 */
export function processStat(pid: number): { readonly state: string; readonly startTime: string } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name, in parentheses, may hold spaces and parentheses: the fields start after the last `)`.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", startTime: fields[19] ?? "" };
}

/** Whether a process of this machine has ended: gone, or a zombie (Z) or dead (X) not yet reaped. Without /proc, kill(pid, 0) says. */
export function processEnded(pid: number): boolean {
  if (process.platform === "linux") {
    const stat = processStat(pid);
    return stat === null || stat.state === "Z" || stat.state === "X";
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== "EPERM";
  }
}
