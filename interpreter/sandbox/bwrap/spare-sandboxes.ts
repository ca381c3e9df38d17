import { Cgroup, type CgroupLayout } from "./cgroup.ts";
import { endAtExit, endInBackground } from "./ending-sandboxes.ts";
import { launcherArgv, RunningSandbox, type SandboxAgentBinary } from "./session-agent.ts";
import { type SpareHelper, spareHelper } from "./spare-helper.ts";

/**
 * Sessions' sandboxes made ahead: a spare is a whole bwrap sandbox, in a
 * cgroup of its own, with flow's agent running in it and greeted, waiting
 * for a session. Making one is most of a bwrap cycle (~20 ms on a
 * Firecracker host): joining a cgroup v1 waits out an RCU grace period,
 * and bwrap makes the namespaces and mounts and starts the agent. The
 * spare helper (./spare-helper.ts) starts them, from a fork of its own
 * rather than of this process. An acquire takes a spare of its shape,
 * writes its profile's limits into the spare's group, and has the helper
 * mount the session's work tree at /flow/work; the session's first
 * command starts the next spares.
 *
 * A spare is made for a shape: everything bwrap is told but the tree (the
 * root, /etc, shares and hidden paths, `net`, and `proc` through the
 * agent's seccomp filter), with an empty tmpfs at /flow/work, which is
 * what a session granted neither `fs.read` nor `fs.write` sees, and what
 * the tree is mounted onto for the others. A session takes only a spare
 * of its own shape. Without one, it takes a spare launcher if there is
 * one: a launcher joined to a group of its own, bwrap waiting for its
 * arguments, which the session's first command gives it (what every
 * session took before sandboxes were made ahead); one is kept per cgroup
 * layout, for sessions of shapes seen for the first time or more at once
 * than their spares. Spares of the session's shape are made for the
 * sessions after it.
 *
 * No session sees another's: each spare serves one session and ends with
 * it (a new sandbox per session, never one reused), and until it is taken
 * nothing of any session is in it (its /flow/work and /tmp are empty, its
 * group new and without limits, its agent has run nothing). Its CPU count
 * starts at its launcher's start, as a session's own launcher's does.
 *
 * `sparesPerShape` are kept for each of the last `shapesKept` shapes, for
 * the whole process (tests make many drivers): sessions one after another
 * each find one made while the one before ran, since making one takes
 * longer than a short session. Spares not taken do not keep this process
 * alive; they are ended, and their groups removed, when it exits
 * (./ending-sandboxes.ts).
 */
export interface Spare {
  /** Launched (a sandbox of the shape, its agent greeted) or not (a spare launcher: the session launches it). */
  readonly sandbox: RunningSandbox;
  readonly cgroup: Cgroup;
  /** Lets go of the spare's hold on this process's exit: a session has taken it. */
  readonly taken: () => void;
}

/** What a spare is made for: the cgroup layout its group is in, the agent, and bwrap's arguments with an empty /flow/work. */
export interface SpareShape {
  readonly layout: CgroupLayout;
  readonly binary: SandboxAgentBinary;
  readonly args: readonly string[];
}

const sparesPerShape = 2;
const shapesKept = 4;
/** How long a session waits for a spare being made (~20 ms, more under load) before it makes its own sandbox. */
const spareWaitMs = 2_000;

/** A spare being made or made: ready once its agent has greeted, or a launcher once spawned (null: it could not be made). */
class Making {
  private sandbox: RunningSandbox | null = null;
  private held = false;
  readonly ready: Promise<Spare | null>;

  /** ARGS: the shape's arguments, or null for a spare launcher. */
  constructor(layout: CgroupLayout, binary: SandboxAgentBinary, args: readonly string[] | null, groupName: string) {
    this.ready = this.make(layout, binary, args, groupName).catch(() => null);
  }

  /** Keeps this process alive while a session waits for the spare. */
  hold(): void {
    this.held = true;
    this.sandbox?.holdsProcess(true);
  }

  private async make(layout: CgroupLayout, binary: SandboxAgentBinary, args: readonly string[] | null, groupName: string): Promise<Spare | null> {
    const helper = args === null ? null : await spareHelper(binary);
    if (helper !== null && !("startSandbox" in helper)) return null;
    const cgroup = await Cgroup.make(layout, groupName);
    let sandbox: RunningSandbox;
    try {
      sandbox = args === null ? RunningSandbox.spawn(launcherArgv([]), { PATH: "/usr/local/bin:/usr/bin:/bin", FLOW_CGROUP_PROCS: cgroup.procsFiles.join(" ") }, binary) : await (helper as SpareHelper).startSandbox(cgroup.procsFiles, args);
    } catch {
      endInBackground(null, cgroup);
      return null;
    }
    this.sandbox = sandbox;
    sandbox.holdsProcess(this.held);
    const spare = { sandbox, cgroup, taken: endAtExit(sandbox, cgroup) };
    if (args === null) return spare;
    const greeted = await Promise.race([sandbox.agent.greeted.then(() => true), sandbox.exited.then(() => false)]);
    if (greeted) return spare;
    discard(spare);
    return null;
  }
}

/** Each shape's spares, and each layout's spare launcher, oldest first; the shapes in the order they were last used. */
const pools = new Map<string, Making[]>();
const launchers = new Map<string, Making[]>();
let taken = 0;

/** How many spares sessions have taken in this process (sandboxes and launchers): what a test checks to know its session had one. */
export function sparesTaken(): number {
  return taken;
}


/** Resolves once every spare being made now is made or failed (what a test counting groups waits for). */
export async function sparesMade(): Promise<void> {
  await Promise.all([...pools.values(), ...launchers.values()].flat().map((making) => making.ready));
}

/**
 * A spare of this shape, waiting for one being made if none is ready yet
 * (it is ahead of a sandbox the session would start itself; up to
 * `spareWaitMs`); else the spare launcher, if there is one; null when
 * there is neither.
 */
export async function takeSpare(shape: SpareShape): Promise<Spare | null> {
  const key = keyOf(shape);
  const pool = pools.get(key);
  if (pool !== undefined) {
    pools.delete(key);
    pools.set(key, pool);
  }
  return (await takeFrom(pool)) ?? (await takeFrom(launchers.get(launcherKeyOf(shape))));
}

async function takeFrom(pool: Making[] | undefined): Promise<Spare | null> {
  for (let making = pool?.shift(); making !== undefined; making = pool?.shift()) {
    making.hold();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), spareWaitMs)));
    const spare = await Promise.race([making.ready, late]);
    clearTimeout(timer);
    if (spare === "late") {
      // Something holds it up (bwrap, the helper): the session does without it, and it is ended once made.
      void making.ready.then((made) => made !== null && discard(made));
      continue;
    }
    if (spare === null) continue;
    if (spare.sandbox.alive) {
      spare.taken();
      spare.sandbox.holdsProcess(true);
      taken++;
      return spare;
    }
    discard(spare);
  }
  return null;
}

/**
 * Starts spares of this shape until `sparesPerShape` are made or being
 * made (none where the spare helper cannot run), and the layout's spare
 * launcher if it was taken; the least recently used shape beyond
 * `shapesKept` has its spares ended. Called once a session's first
 * command is sent, so that starting them (a fork of this process for the
 * launcher) overlaps that command rather than delaying a session's start.
 */
export function startSpares(shape: SpareShape, groupName: () => string): void {
  const key = keyOf(shape);
  const pool = pools.get(key) ?? [];
  pools.delete(key);
  pools.set(key, pool);
  while (pool.length < sparesPerShape) pool.push(new Making(shape.layout, shape.binary, shape.args, groupName()));
  const launcherKey = launcherKeyOf(shape);
  const launcher = launchers.get(launcherKey) ?? [];
  launchers.set(launcherKey, launcher);
  if (launcher.length === 0) launcher.push(new Making(shape.layout, shape.binary, null, groupName()));
  for (const [oldKey, old] of pools) {
    if (pools.size <= shapesKept) break;
    pools.delete(oldKey);
    for (const making of old) void making.ready.then((spare) => spare !== null && discard(spare));
  }
}

function keyOf(shape: SpareShape): string {
  return `${launcherKeyOf(shape)} ${JSON.stringify(shape.args)}`;
}

function launcherKeyOf(shape: SpareShape): string {
  return `${JSON.stringify(shape.layout)} ${shape.binary.fd}`;
}

/** Ends a spare no session will take, and removes its group. */
function discard(spare: Spare): void {
  spare.taken();
  endInBackground(spare.sandbox, spare.cgroup);
}
