import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { compileGlob, type GlobAlternative } from "./glob.ts";
import { resolveInWorkTree } from "./work-tree-path.ts";

/**
 * The files of a work tree on this machine's file system that match a glob
 * (./glob.ts): relative, `/`-separated, sorted by code unit, each once.
 *
 * `.git` is never listed or entered: it is git's, not the project's. A
 * symbolic link is listed when it leads to a file in the tree (one that
 * leads out could not be read, and would fail a `grep` of the whole
 * tree); a link to a directory is not entered, so a walk cannot loop or
 * wander out of the tree; a glob whose literal start leads out through
 * one is refused.
 */
export async function listFilesIn(root: string, glob: string): Promise<string[]> {
  const found = new Set<string>();
  for (const alternative of compileGlob(glob).alternatives) {
    for (const path of await candidates(root, alternative)) if (alternative.regex.test(path)) found.add(path);
  }
  return [...found].sort();
}

async function candidates(root: string, alternative: GlobAlternative): Promise<string[]> {
  const { base, exact } = alternative;
  if (base.split("/").includes(".git")) return [];
  // The base is the one path followed as given, links and all: it must stay in the tree.
  const kind = await kindOf(await resolveInWorkTree(root, base));
  if (kind === "file") return [base];
  if (kind !== "directory" || exact) return [];
  const files: string[] = [];
  await walk(root, base, files);
  return files;
}

async function walk(root: string, dir: string, files: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true });
  } catch {
    // Gone or unreadable since its parent was read: nothing to list there.
    return;
  }
  for (const entry of entries) {
    if (entry.name === ".git") continue;
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) await walk(root, path, files);
    else if (entry.isFile() || (entry.isSymbolicLink() && (await isFileInTree(root, path)))) files.push(path);
  }
}

async function isFileInTree(root: string, path: string): Promise<boolean> {
  try {
    return (await kindOf(await resolveInWorkTree(root, path))) === "file";
  } catch {
    return false;
  }
}

async function kindOf(path: string): Promise<"file" | "directory" | "other" | "missing"> {
  try {
    const found = await stat(path);
    return found.isFile() ? "file" : found.isDirectory() ? "directory" : "other";
  } catch {
    return "missing";
  }
}
