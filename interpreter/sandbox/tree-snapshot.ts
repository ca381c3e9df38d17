import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { chmod, copyFile, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * Content-addressed snapshots of work trees, for checkpoints: each file's
 * bytes are kept once in an object store (`OBJECTS/ab/cdef…`, named by
 * their sha256), however many trees and checkpoints hold them, and a
 * snapshot is a manifest (itself an object) of paths, modes, times and the
 * objects they hold. Eight nodes that each clone the same repository and
 * checkpoint share one copy of it.
 *
 * Objects are written under a temporary name and renamed, so a process
 * killed while saving leaves no half object under a real name; a manifest
 * is written only once every object it names is in place.
 */

const ManifestEntry = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("dir"), path: z.string(), mode: z.int() }),
  z.strictObject({ type: z.literal("file"), path: z.string(), mode: z.int(), mtimeMs: z.number(), object: z.string() }),
  z.strictObject({ type: z.literal("link"), path: z.string(), target: z.string() }),
]);
type ManifestEntry = z.infer<typeof ManifestEntry>;
/** A file entry whose object is not stored yet. */
interface PendingFile {
  readonly entry: Extract<ManifestEntry, { type: "file" }>;
  readonly full: string;
}
const Manifest = z.strictObject({ version: z.literal(1), entries: z.array(ManifestEntry) });
type Manifest = z.infer<typeof Manifest>;

/** Files at most this big are hashed from one read; bigger ones are streamed. */
const wholeReadLimit = 8 * 1024 * 1024;
/** How many files are hashed and stored at once. */
const parallelFiles = 16;

/** Saves the tree at `root` into `objects`; returns the manifest's object name, which restores it. */
export async function saveTreeSnapshot(root: string, objects: string): Promise<string> {
  const entries: ManifestEntry[] = [];
  const files: PendingFile[] = [];
  await walk(root, "", entries, files);
  await inBatches(files, async (file) => {
    file.entry.object = await storeFile(file.full, objects);
  });
  const manifest: Manifest = { version: 1, entries };
  return storeBytes(Buffer.from(JSON.stringify(manifest)), objects);
}

/** Makes `target` hold exactly the tree the manifest `name` describes (whatever was there is removed first). */
export async function restoreTreeSnapshot(objects: string, name: string, target: string): Promise<void> {
  const manifest = Manifest.parse(JSON.parse(await readFile(objectPath(objects, name), "utf8")));
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  const dirs: Extract<ManifestEntry, { type: "dir" }>[] = [];
  // Entries come parents first, so each directory exists before what it holds.
  for (const entry of manifest.entries) {
    const at = join(target, entry.path);
    switch (entry.type) {
      case "dir":
        await mkdir(at, { recursive: true });
        dirs.push(entry);
        break;
      case "file":
        await copyFile(objectPath(objects, entry.object), at, constants.COPYFILE_FICLONE);
        await chmod(at, entry.mode);
        await utimes(at, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
        break;
      case "link":
        await symlink(entry.target, at);
        break;
    }
  }
  // Modes of directories last: a read-only one could not have been filled.
  for (const dir of dirs) await chmod(join(target, dir.path), dir.mode);
}

async function walk(root: string, relative: string, entries: ManifestEntry[], files: PendingFile[]): Promise<void> {
  const names = (await readdir(join(root, relative))).sort();
  for (const name of names) {
    const path = relative === "" ? name : `${relative}/${name}`;
    const full = join(root, path);
    const info = await lstat(full);
    if (info.isDirectory()) {
      entries.push({ type: "dir", path, mode: info.mode & 0o7777 });
      await walk(root, path, entries, files);
    } else if (info.isSymbolicLink()) {
      entries.push({ type: "link", path, target: await readlink(full) });
    } else if (info.isFile()) {
      const entry = { type: "file" as const, path, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs, object: "" };
      entries.push(entry);
      files.push({ entry, full });
    }
    // Sockets, fifos and devices are not a tree's content: a checkpoint leaves them out.
  }
}

async function storeFile(full: string, objects: string): Promise<string> {
  const info = await lstat(full);
  const hash = info.size <= wholeReadLimit ? sha256(await readFile(full)) : await streamedSha256(full);
  const at = objectPath(objects, hash);
  if (!(await exists(at))) await placeObject(at, (temporary) => copyFile(full, temporary, constants.COPYFILE_FICLONE));
  return hash;
}

async function storeBytes(bytes: Buffer, objects: string): Promise<string> {
  const hash = sha256(bytes);
  const at = objectPath(objects, hash);
  if (!(await exists(at))) await placeObject(at, (temporary) => writeFile(temporary, bytes));
  return hash;
}

/** Tells apart the temporary files of objects this process writes at once (two files of the same content, say). */
let placed = 0;

async function placeObject(at: string, write: (temporary: string) => Promise<void>): Promise<void> {
  await mkdir(join(at, ".."), { recursive: true });
  // Unique per writer: two writers of the same object each rename a whole copy into place, and either copy is right.
  const temporary = `${at}.${process.pid}-${++placed}.partial`;
  await write(temporary);
  await rename(temporary, at);
}

function objectPath(objects: string, hash: string): string {
  return join(objects, hash.slice(0, 2), hash.slice(2));
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function streamedSha256(full: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(full)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** `work` over every item, at most `parallelFiles` at once. */
async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(parallelFiles, items.length) }, worker));
}
