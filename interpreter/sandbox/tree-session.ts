import type { HostTree } from "./host-tree.ts";
import type { ExecOptions, ExecResult, SandboxSession } from "./sandbox.ts";

/**
 * What every driver's session does the same way, because the work tree
 * lives on this machine whatever runs the commands: its files are read,
 * written, listed and checkpointed here (host-tree.ts). A driver supplies
 * where commands run, their compute, and its release.
 */
export abstract class TreeSession implements SandboxSession {
  constructor(protected readonly tree: HostTree) {}

  get workTree(): string {
    return this.tree.path;
  }

  abstract exec(command: string, options: ExecOptions): Promise<ExecResult>;
  abstract cpuMs(): Promise<number | null>;
  abstract release(): Promise<void>;

  readFile(path: string): Promise<string> {
    return this.tree.readFile(path);
  }

  writeFile(path: string, text: string): Promise<number> {
    return this.tree.writeFile(path, text);
  }

  listFiles(glob: string): Promise<string[]> {
    return this.tree.listFiles(glob);
  }

  saveCheckpoint(name: string): Promise<void> {
    return this.tree.saveCheckpoint(name);
  }
}
