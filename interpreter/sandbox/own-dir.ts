import { existsSync, lstatSync, readdirSync, rmSync, type Stats } from "node:fs";
import { join } from "node:path";

/**
 * Whether what lstat found is a directory (not a link to one) of this
 * process's user that no other user may write in: in the temporary
 * directory, which is everyone's (and sticky), the only kind flow may use
 * as its own, or reap as what a killed flow of its user left. No one else
 * can rename or replace such a directory, nor put anything in it; anyone
 * can make one by the same name pattern, whose contents (pid files, links)
 * would steer a reaper running as root. Flow makes its own with mkdtemp,
 * which no one can have made first.
 */
export function isOwnDir(stat: Stats): boolean {
  return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
}

/**
 * Removes what flow processes that are gone (killed: no exit hook ran)
 * left in PARENT: each directory whose name NAMED matches, its first
 * group the pid of the process that made it, when that process is gone
 * and the directory is this user's own.
 */
export function removeDeadProcessesDirs(parent: string, named: RegExp): void {
  for (const name of readdirSync(parent)) {
    const owner = named.exec(name)?.[1];
    if (owner === undefined || existsSync(`/proc/${owner}`)) continue;
    const dir = join(parent, name);
    try {
      if (isOwnDir(lstatSync(dir))) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone already, or another flow removes it.
    }
  }
}
