import { lstat, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { StdFailure } from "../../stdlib/runtime/implementation.ts";

/**
 * Resolves a session path against a work tree that lives on this machine's
 * file system (the `process` driver's, and any driver that mounts the tree
 * from here), refusing one that leaves it: an absolute path, `../x`, or a
 * path that reaches outside through a symbolic link, existing or dangling
 * (writing through a dangling link would create its target). `root` is the
 * tree's real path.
 *
 * The check and the use that follows are two system calls apart: a process
 * that swaps a directory for a link in between wins. That is confinement of
 * honest mistakes and of what a model proposes, not isolation; the `bwrap`
 * and `microvm` drivers isolate.
 */
export async function resolveInWorkTree(root: string, path: string): Promise<string> {
  if (isAbsolute(path)) throw outside(path, "is absolute: paths are relative to the work tree");
  const full = resolve(root, path);
  if (!isInside(root, full)) throw outside(path, "leaves the work tree");
  if (!isInside(root, await realPathOf(full, 0))) throw outside(path, "leads out of the work tree through a symbolic link");
  return full;
}

/** Whether `path` is `root` or below it (both absolute). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || !(rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

const maxLinks = 40;

/** Where the path leads once every link is followed, including the parts that do not exist yet. */
async function realPathOf(path: string, links: number): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  const stat = await lstat(path).catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw error;
  });
  if (stat?.isSymbolicLink()) {
    // A dangling link: where it points is where a write would land.
    if (links >= maxLinks) throw new StdFailure("Failed", `\`${path}\` goes through more than ${maxLinks} symbolic links`);
    return realPathOf(resolve(dirname(path), await readlink(path)), links + 1);
  }
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await realPathOf(parent, links), basename(path));
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function outside(path: string, why: string): StdFailure {
  return new StdFailure("Failed", `the path \`${path}\` ${why}`);
}
