import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The sandbox's /etc: a copy of the allow-listed entries of the host's
 * (links kept as links), bound with one mount where binding each entry took
 * twenty, about a third of a sandbox's start. The copy is made again when
 * an entry changes (its time, size or inode: a new resolv.conf, updated
 * certificates); a copy stays until this process exits, since a sandbox
 * still running has it mounted. Copies a killed process left are removed
 * by the next one.
 */
export class EtcView {
  private current: { readonly dir: string; readonly signature: string } | null = null;
  private readonly made: string[] = [];
  private copies = 0;

  constructor(
    private readonly entries: readonly string[],
    private readonly parent = tmpdir(),
  ) {
    removeDeadProcessesViews(this.parent);
    process.once("exit", () => {
      for (const dir of this.made) rmSync(dir, { recursive: true, force: true });
    });
  }

  /** The directory to bind as /etc, as the host's entries are now. */
  dir(): string {
    const present = this.entries.filter((entry) => existsSync(`/etc/${entry}`));
    const signature = present
      .map((entry) => {
        const info = lstatSync(`/etc/${entry}`);
        return `${entry}:${info.ino}:${info.size}:${info.mtimeMs}`;
      })
      .join("\n");
    if (this.current?.signature === signature) return this.current.dir;
    const dir = join(this.parent, `flow-etc-${process.pid}-${++this.copies}`);
    mkdirSync(dir, { recursive: true });
    this.made.push(dir);
    if (present.length > 0) {
      const copied = spawnSync("cp", ["-a", ...present.map((entry) => `/etc/${entry}`), `${dir}/`], { encoding: "utf8" });
      if (copied.status !== 0) throw new Error(`could not copy the sandbox's /etc: ${copied.stderr.trim()}`);
    }
    this.current = { dir, signature };
    return dir;
  }
}

function removeDeadProcessesViews(parent: string): void {
  for (const name of readdirSync(parent)) {
    const owner = /^flow-etc-(\d+)-\d+$/.exec(name)?.[1];
    if (owner !== undefined && !existsSync(`/proc/${owner}`)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}
