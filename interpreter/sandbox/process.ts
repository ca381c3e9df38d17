import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StdFailure } from "../../stdlib/runtime/implementation.ts";
import { listFilesIn } from "./list-files.ts";
import { runShell } from "./run-shell.ts";
import type { ExecOptions, ExecResult, SandboxDriver, SandboxRequest, SandboxSession } from "./sandbox.ts";
import { resolveInWorkTree } from "./work-tree-path.ts";

/**
 * The `process` driver: commands run as child processes of this one, in a
 * directory of this machine. No isolation: effects are not enforced (the
 * checker still checks them), and paths are confined to the work tree
 * only as well as ./work-tree-path.ts can. For development, tests, and
 * machines without bubblewrap or QEMU.
 */
export const processDriver: SandboxDriver = {
  name: "process",
  async acquire(request: SandboxRequest): Promise<SandboxSession> {
    const { workTree, start } = request;
    await endOrphanedSteps(workTree);
    switch (start.kind) {
      case "keep":
        break;
      case "fresh":
        await rm(workTree, { recursive: true, force: true });
        break;
      case "restore":
        await rm(workTree, { recursive: true, force: true });
        await copyTree(checkpointPath(workTree, start.checkpoint), workTree);
        break;
    }
    await mkdir(workTree, { recursive: true });
    return new ProcessSession(workTree, await realpath(workTree));
  },
};

/**
 * The commands of steps run in process groups of their own (run-shell.ts),
 * which a `kill -9` of flow does not reach: after a crash one may still be
 * running when its attempt resumes, and would run beside the step run
 * again. So each running step's group is recorded beside the work tree
 * (`TREE.steps/GROUP`, holding its journal id), and a session acquiring the
 * tree first ends every recorded group still running that step (checked in
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

/** Checkpoints live beside the tree, not in it, so that a copy never contains the copies before it. */
function checkpointPath(workTree: string, name: string): string {
  return `${workTree}.checkpoints/${encodeURIComponent(name)}`;
}

/** `cp -a`: modes, times and links as they are, and copy-on-write where the file system has it. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    execFile("cp", ["-a", "--reflink=auto", from, to], (error, _stdout, stderr) =>
      error === null ? resolve() : reject(new Error(`could not copy the work tree: ${stderr.trim() || error.message}`)),
    );
  });
}

class ProcessSession implements SandboxSession {
  constructor(
    readonly workTree: string,
    /** The tree with its links resolved: what confinement compares against. */
    private readonly root: string,
  ) {}

  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const stepId = options.env["FLOW_STEP_ID"];
    if (stepId === undefined) return runShell(command, this.root, options);
    const dir = `${this.workTree}.steps`;
    return runShell(command, this.root, options, {
      started: (group) => {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, String(group)), stepId);
      },
      ended: (group) => rmSync(join(dir, String(group)), { force: true }),
    });
  }

  async readFile(path: string): Promise<string> {
    const full = await resolveInWorkTree(this.root, path);
    try {
      return await readFile(full, "utf8");
    } catch (error) {
      throw fileFailure(error, path);
    }
  }

  async writeFile(path: string, text: string): Promise<number> {
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
    return listFilesIn(this.root, glob);
  }

  async saveCheckpoint(name: string): Promise<void> {
    const target = checkpointPath(this.workTree, name);
    await rm(target, { recursive: true, force: true });
    await copyTree(this.root, target);
  }

  async release(): Promise<void> {
    // The tree stays: it is the node's result on disk, and a resumed attempt continues in it.
  }
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
