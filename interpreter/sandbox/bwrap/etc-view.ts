import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeDeadProcessesDirs } from "../own-dir.ts";

/**
 * The sandbox's /etc: a copy of the allow-listed entries of the host's
 * (links kept as links), bound with one mount where binding each entry took
 * twenty, about a third of a sandbox's start. The copy is made again when
 * an entry changes (its time, size or inode: a new resolv.conf, updated
 * certificates); a copy stays until this process exits, since a sandbox
 * still running has it mounted. Copies a killed process left are removed
 * by the next one: only its user's own (../own-dir.ts). Each copy is made
 * by mkdtemp, then opened to reading by all (a sandbox may run as another
 * user): a directory someone else made first under a name flow would
 * use would have become the sandboxes' /etc, theirs to change.
 */
export class EtcView {
  private current: { readonly dir: string; readonly signature: string } | null = null;
  private readonly made: string[] = [];

  constructor(
    private readonly entries: readonly string[],
    private readonly parent = tmpdir(),
  ) {
    removeDeadProcessesDirs(this.parent, /^flow-etc-(\d+)-[A-Za-z0-9]{6}$/);
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
    const dir = mkdtempSync(join(this.parent, `flow-etc-${process.pid}-`));
    chmodSync(dir, 0o755);
    this.made.push(dir);
    if (present.length > 0) {
      const copied = spawnSync("cp", ["-a", ...present.map((entry) => `/etc/${entry}`), `${dir}/`], { encoding: "utf8" });
      if (copied.status !== 0) throw new Error(`could not copy the sandbox's /etc: ${copied.stderr.trim()}`);
    }
    this.current = { dir, signature };
    return dir;
  }
}
