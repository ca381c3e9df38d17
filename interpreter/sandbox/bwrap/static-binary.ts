import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { microvmCacheDir } from "../microvm/cache-dir.ts";

/**
 * A small C program of the bwrap driver's (its session agent, its tree
 * attacher), compiled for this host, statically, once per version of its
 * source, into flow's cache (`bwrap/NAME-SHA`), and found there after.
 * Where it cannot be built (no C compiler), the error says why, for the
 * driver to do without it.
 */
export interface StaticProgram {
  /** The file's name in the cache, before its source's hash. */
  readonly name: string;
  /** What it is, for the error that says it cannot be built. */
  readonly what: string;
  readonly source: string;
}

export async function staticBinary({ name, what, source }: StaticProgram, cacheDir = join(dirname(microvmCacheDir()), "bwrap")): Promise<string> {
  const sha = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const path = join(cacheDir, `${name}-${sha}`);
  if (existsSync(path)) return path;
  await mkdir(cacheDir, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  const sourceFile = `${partial}.c`;
  await writeFile(sourceFile, source);
  try {
    await promisify(execFile)("gcc", ["-static", "-O2", "-s", "-Wall", "-o", partial, sourceFile]);
  } catch (error) {
    await rm(partial, { force: true });
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no C compiler (gcc)" : `compiling it failed: ${String((error as { stderr?: string }).stderr ?? error).trim().split("\n").slice(-2).join(" / ")}`;
    throw new Error(`the bwrap driver's ${what} cannot be built: ${reason}`);
  } finally {
    await rm(sourceFile, { force: true });
  }
  // Renamed into place: a process running beside this one finds a whole program or none.
  await rename(partial, path);
  return path;
}
