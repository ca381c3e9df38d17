import type { Stats } from "node:fs";

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
