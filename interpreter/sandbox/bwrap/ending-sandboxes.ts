import type { Cgroup } from "./cgroup.ts";
import type { RunningSandbox } from "./session-agent.ts";

/**
 * Sandboxes this process has yet to end, and their groups: spares no
 * session took (./spare-sandboxes.ts), and sessions' sandboxes ending after
 * their release. A release with no command running answers at once and
 * ends its sandbox behind (the agent, told its host is gone, exits, then
 * the group is removed: ~5 ms of a ~10 ms cycle, the sandbox having
 * nothing left to do: each command's processes were ended with it).
 *
 * Whatever is still here when this process exits is killed, and its group
 * removed, in the exit handler; a killed process's are removed by the next
 * one's reaper (bwrap.ts), as any group of a dead flow (the sandboxes died
 * with it: --die-with-parent).
 */
interface Unended {
  readonly sandbox: RunningSandbox | null;
  readonly cgroup: Cgroup | null;
}

const unended = new Set<Unended>();
const ending = new Set<Promise<void>>();
let exitHook = false;

/** Holds a sandbox (and its group) to be ended at exit, until the returned function is called. */
export function endAtExit(sandbox: RunningSandbox | null, cgroup: Cgroup | null): () => void {
  const entry = { sandbox, cgroup };
  unended.add(entry);
  if (!exitHook) {
    exitHook = true;
    process.once("exit", endAllNow);
  }
  return () => unended.delete(entry);
}

/** Ends the sandbox, then removes its group, without the caller waiting; held for exit until done. */
export function endInBackground(sandbox: RunningSandbox | null, cgroup: Cgroup | null): void {
  const ended = endAtExit(sandbox, cgroup);
  const done = (async () => {
    await sandbox?.stop();
    await cgroup?.remove();
  })()
    .catch(() => undefined)
    .finally(() => {
      ended();
      ending.delete(done);
    });
  ending.add(done);
}

/** Resolves once every sandbox ended in the background so far has ended and its group is removed (what a test of release waits for). */
export async function sandboxesEnded(): Promise<void> {
  while (ending.size > 0) await Promise.all(ending);
}

/** At exit: every sandbox killed, each group removed once the kernel has let its processes go (a few ms at most). */
function endAllNow(): void {
  for (const { sandbox } of unended) sandbox?.kill();
  const until = Date.now() + 200;
  for (const { cgroup } of unended) {
    // Exit handlers run to their end synchronously: the kernel's letting go is waited for here, for 200 ms at most in all.
    while (cgroup !== null && !cgroup.removeDirectories() && Date.now() <= until);
  }
}
