import { rmdirSync } from "node:fs";
import { Cgroup, type CgroupLayout } from "./cgroup.ts";
import { launcherArgv, RunningSandbox, type SandboxAgentBinary } from "./session-agent.ts";

/**
 * A session's sandbox launcher started ahead, in a cgroup of its own: what
 * most of a bwrap sandbox's start was. Joining a cgroup v1 waits out an RCU
 * grace period (~10 ms of a ~20 ms cycle on a Firecracker host), and
 * spawning the launcher forks this process; a spare has done both before
 * it is needed. An acquire takes the spare (a new one is started for the
 * next), writes its profile's limits into the spare's group, and launches
 * it at the session's first command with the session's own arguments.
 *
 * Nothing of the sandbox exists before that launch: a spare is a shell
 * waiting on a pipe, in an empty group with no limits yet. bwrap makes the
 * namespaces, the mounts, the work tree's bind and /tmp when launched, and
 * each spare serves one session and ends with it, so no session can see
 * what another left (the group is new, its limits are the session's, its
 * CPU count starts at the launcher's start, as a launcher's always did).
 *
 * One spare per cgroup layout and agent, for the whole process (tests make
 * many drivers); one is enough where sessions start one after another, and
 * sessions starting at once beyond it start their own launchers, as
 * without spares. A spare that was not used is ended, and its group
 * removed, when this process exits; a killed process's are removed by the
 * next one's reaper, as any group of a dead flow.
 */
export interface Spare {
  readonly sandbox: RunningSandbox;
  readonly cgroup: Cgroup;
}

interface Pool {
  /** The spare being made or made, or null while none is. */
  next: Promise<Spare | null> | null;
}

const pools = new Map<string, Pool>();
/** Spares not taken: ended at exit. */
const waiting = new Set<Spare>();
let exitHook = false;
let taken = 0;

/** How many spares sessions have taken in this process: what a test checks to know its session had one. */
export function sparesTaken(): number {
  return taken;
}

/**
 * The layout's spare, or null when none is ready (none was started since
 * the last was taken, or it failed: the session then starts a launcher of
 * its own, which is no slower than waiting for one being made).
 */
export async function takeSpare(layout: CgroupLayout, binary: SandboxAgentBinary): Promise<Spare | null> {
  const pool = poolOf(layout, binary);
  const next = pool.next;
  pool.next = null;
  const spare = next === null ? null : await next;
  if (spare === null) return null;
  waiting.delete(spare);
  if (spare.sandbox.alive) {
    spare.sandbox.holdsProcess(true);
    taken++;
    return spare;
  }
  // Its launcher ended (it could not join its group): removed, and the session makes its own.
  void spare.sandbox.stop().then(() => spare.cgroup.remove().catch(() => undefined));
  return null;
}

/**
 * Starts the layout's next spare unless one is there: called once a
 * session's sandbox is launched, so that spawning it (a fork of this
 * process) overlaps bwrap making that sandbox rather than delaying it.
 */
export function startSpare(layout: CgroupLayout, binary: SandboxAgentBinary, groupName: () => string): void {
  const pool = poolOf(layout, binary);
  if (pool.next === null) refill(pool, layout, binary, groupName);
}

function poolOf(layout: CgroupLayout, binary: SandboxAgentBinary): Pool {
  const key = `${JSON.stringify(layout)} ${binary.fd}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = { next: null };
    pools.set(key, pool);
  }
  return pool;
}

function refill(pool: Pool, layout: CgroupLayout, binary: SandboxAgentBinary, groupName: () => string): void {
  const made = (async (): Promise<Spare | null> => {
    const cgroup = await Cgroup.make(layout, groupName());
    const sandbox = new RunningSandbox(launcherArgv([]), { PATH: "/usr/local/bin:/usr/bin:/bin", FLOW_CGROUP_PROCS: cgroup.procsFiles.join(" ") }, binary);
    sandbox.holdsProcess(false);
    const spare = { sandbox, cgroup };
    waiting.add(spare);
    if (!exitHook) {
      exitHook = true;
      process.once("exit", endWaitingSpares);
    }
    return spare;
  })().catch(() => null);
  pool.next = made;
}

/** At exit: each spare's launcher killed, its group removed once the kernel has let the launcher go (a few ms at most). */
function endWaitingSpares(): void {
  for (const spare of waiting) spare.sandbox.kill();
  const until = Date.now() + 200;
  for (const spare of waiting) {
    for (const dir of spare.cgroup.directories()) {
      for (;;) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EBUSY" || Date.now() > until) break;
        }
      }
    }
  }
}
