import { HostTree } from "./host-tree.ts";
import { runShell } from "./run-shell.ts";
import type { ExecOptions, ExecResult, SandboxDriver, SandboxRequest, SandboxSession } from "./sandbox.ts";
import { TreeSession } from "./tree-session.ts";

/**
 * The `process` driver: commands run as child processes of this one, in a
 * directory of this machine. No isolation: effects are not enforced (the
 * checker still checks them, and file steps still honour them), and paths
 * are confined to the work tree only as well as ./work-tree-path.ts can.
 * For development, tests, and machines without bubblewrap or QEMU; `flow
 * run` says so.
 */
export const processDriver: SandboxDriver = {
  name: "process",
  isolation: "none",
  // Everything of the host is visible to a process anyway.
  sharesHostPaths: true,
  async acquire(request: SandboxRequest): Promise<SandboxSession> {
    return new ProcessSession(await HostTree.prepare(request), request.profile.timeoutMs);
  },
};

class ProcessSession extends TreeSession {
  constructor(
    tree: HostTree,
    private readonly defaultTimeoutMs: number | null,
  ) {
    super(tree);
  }

  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return runShell(["/bin/sh", "-c", command], this.tree.root, { ...options, timeoutMs }, this.tree.stepTracker(options.env["FLOW_STEP_ID"]));
  }

  async cpuMs(): Promise<number | null> {
    return null;
  }

  async release(): Promise<void> {
    // Nothing outlives a command here: run-shell.ts ends each one's group.
  }
}
