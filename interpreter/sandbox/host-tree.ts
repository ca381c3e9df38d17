import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Effect } from "../../compiler/ir/effect.ts";
import { StdFailure } from "../../stdlib/runtime/implementation.ts";
import { listFilesIn } from "./list-files.ts";
import type { SandboxRequest } from "./sandbox.ts";
import { restoreTreeSnapshot, saveTreeSnapshot } from "./tree-snapshot.ts";
import { resolveInWorkTree } from "./work-tree-path.ts";

/**
 * A node's work tree on this machine, as every driver keeps it: prepared
 * as the attempt needs it (kept, fresh, or restored from a checkpoint),
 * read, written and listed here on the sandbox's behalf (confined to the
 * tree, and to the effects the node is granted), and checkpointed into the
 * project's content-addressed store (./tree-snapshot.ts).
 */
export class HostTree {
  private constructor(
    readonly path: string,
    /** The tree with its links resolved: what confinement compares against. */
    readonly root: string,
    private readonly objects: string,
    private readonly effects: ReadonlySet<Effect["name"]>,
  ) {}

  static async prepare(request: SandboxRequest): Promise<HostTree> {
    const { workTree, start, objects } = request;
    await endOrphanedSteps(workTree);
    switch (start.kind) {
      case "keep":
        break;
      case "fresh":
        await rm(workTree, { recursive: true, force: true });
        break;
      case "restore": {
        const name = await readFile(checkpointPath(workTree, start.checkpoint), "utf8");
        await restoreTreeSnapshot(objects, name.trim(), workTree);
        break;
      }
    }
    await mkdir(workTree, { recursive: true });
    return new HostTree(workTree, await realpath(workTree), objects, new Set(request.effects.map((effect) => effect.name)));
  }

  /** Whether the node may change its tree: with `fs.write`, drivers that mount it mount it writable. */
  get writable(): boolean {
    return this.effects.has("fs.write");
  }

  /** Whether the node may see its tree at all; without `fs.read` or `fs.write` an isolating driver gives it an empty one. */
  get readable(): boolean {
    return this.writable || this.effects.has("fs.read");
  }

  async readFile(path: string): Promise<string> {
    if (!this.readable) throw notGranted("fs.read", `read \`${path}\``);
    const full = await resolveInWorkTree(this.root, path);
    try {
      return await readFile(full, "utf8");
    } catch (error) {
      throw fileFailure(error, path);
    }
  }

  async writeFile(path: string, text: string): Promise<number> {
    if (!this.writable) throw notGranted("fs.write", `write \`${path}\``);
    const full = await resolveInWorkTree(this.root, path);
    try {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, text, "utf8");
    } catch (error) {
      throw fileFailure(error, path);
    }
    return Buffer.byteLength(text, "utf8");
  }

  listFiles(glob: string): Promise<string[]> {
    if (!this.readable) throw notGranted("fs.read", `list \`${glob}\``);
    return listFilesIn(this.root, glob);
  }

  /** Snapshots the tree into the object store and names the snapshot `name`; the last write of the name is what it restores. */
  async saveCheckpoint(name: string): Promise<void> {
    const manifest = await saveTreeSnapshot(this.root, this.objects);
    const at = checkpointPath(this.path, name);
    await mkdir(dirname(at), { recursive: true });
    // Renamed into place: a process killed here leaves the name pointing at the old snapshot or the new, never at half a name.
    await writeFile(`${at}.partial`, manifest);
    await rename(`${at}.partial`, at);
  }

  /**
   * How a driver records the process group its step's command runs as, and
   * that it has ended (see endOrphanedSteps); synchronous, since the group
   * must be on disk before the command can do anything.
   */
  stepTracker(stepId: string | undefined): { readonly started: (group: number) => void; readonly ended: (group: number) => void } | undefined {
    if (stepId === undefined) return undefined;
    const dir = `${this.path}.steps`;
    return {
      started: (group) => {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, String(group)), stepId);
      },
      ended: (group) => rmSync(join(dir, String(group)), { force: true }),
    };
  }
}

/**
 * The commands of steps run in process groups of their own, which a
 * `kill -9` of flow does not reach: after a crash one may still be running
 * when its attempt resumes, and would run beside the step run again. So
 * each running step's group is recorded beside the work tree
 * (`TREE.steps/GROUP`, holding its journal id), and acquiring the tree
 * first ends every recorded group still running that step (checked in
 * /proc, so a reused pid is never hit).
 */
async function endOrphanedSteps(workTree: string): Promise<void> {
  const dir = `${workTree}.steps`;
  let groups: string[];
  try {
    groups = await readdir(dir);
  } catch {
    return;
  }
  for (const group of groups) {
    const stepId = await readFile(join(dir, group), "utf8").catch(() => "");
    const environ = await readFile(`/proc/${group}/environ`, "utf8").catch(() => "");
    if (stepId !== "" && environ.split("\0").includes(`FLOW_STEP_ID=${stepId}`)) {
      try {
        process.kill(-Number(group), "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await rm(join(dir, group), { force: true });
  }
}

/** Checkpoints are named beside the tree, not in it, so that a snapshot never contains the ones before it. */
function checkpointPath(workTree: string, name: string): string {
  return `${workTree}.checkpoints/${encodeURIComponent(name)}`;
}

function notGranted(effect: Effect["name"], what: string): StdFailure {
  return new StdFailure("Failed", `the sandbox may not ${what}: the node is not granted \`${effect}\``);
}

/** A file system error as the failure a flow program sees; anything unexpected stays an error of the runtime. */
function fileFailure(error: unknown, path: string): unknown {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return new StdFailure("Failed", `no file \`${path}\` in the work tree`);
    case "EISDIR":
      return new StdFailure("Failed", `\`${path}\` is a directory, not a file`);
    case "ENOTDIR":
    // Creating the directories of `file/x` where `file` is a file.
    case "EEXIST":
      return new StdFailure("Failed", `\`${path}\` goes through a file as if it were a directory`);
    case "EACCES":
    case "EPERM":
      return new StdFailure("Failed", `\`${path}\` may not be accessed (permission denied)`);
    default:
      return error;
  }
}
