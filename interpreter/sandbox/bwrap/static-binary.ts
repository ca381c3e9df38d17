import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
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
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const unsafe = unsafePlace(cacheDir);
  if (unsafe !== null) throw new Error(`the bwrap driver's ${what} is not run from ${cacheDir}: ${unsafe}`);
  if (existsSync(path)) {
    const stat = statSync(path);
    if (stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) throw new Error(`the bwrap driver's ${what} is not run from ${cacheDir}: ${path} is not its user's alone`);
    return path;
  }
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

/**
 * Why programs this process runs (as root, most often: the spare helper
 * is root's) must not be taken from DIR, or null: DIR and every directory
 * above it must be this user's or root's, and none writable by anyone
 * else unless sticky (/tmp: no one else can replace what is in it). The
 * cache is found from the environment (FLOW_CACHE_DIR, XDG_CACHE_HOME,
 * HOME); a program another user could put there would run with this
 * process's rights.
 */
function unsafePlace(dir: string): string | null {
  const uid = process.getuid?.();
  for (let at = resolve(dir); ; at = dirname(at)) {
    const stat = statSync(at);
    if (stat.uid !== uid && stat.uid !== 0) return `${at} belongs to another user`;
    if ((stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0) return `${at} may be written by other users`;
    if (at === dirname(at)) return null;
  }
}
