import type { Effect } from "../../compiler/ir/effect.ts";
import type { DriverName, Isolation, ResolvedProfile } from "./profile.ts";

/**
 * Where a node's steps run. One interface, three drivers: `process` (a
 * child process in a per-vertex work tree, no isolation: development and
 * machines without the others), `bwrap` (Linux namespaces, a seccomp
 * filter, cgroup limits) and `microvm` (a QEMU microVM), the last two
 * enforcing the declared effects. A session is one node attempt's
 * sandbox; every step of the attempt goes through it.
 *
 * The work tree always lives on this machine (a VM mounts it), so reading,
 * writing and listing its files happen here (./host-tree.ts), confined to
 * the tree and to the effects granted; commands run inside the sandbox.
 * Paths given to a session are relative to its work tree; one that leaves
 * the tree (`../x`, an absolute path, a symlink out) is refused.
 */

export interface ExecResult {
  readonly exit: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The command was killed because its timeout passed. */
  readonly timedOut: boolean;
  /** The command was killed because the sandbox reached its memory limit. */
  readonly outOfMemory: boolean;
}

export interface ExecOptions {
  /** Null: no limit of its own (the node's timeout still applies through `signal`). */
  readonly timeoutMs: number | null;
  readonly env: Readonly<Record<string, string>>;
  /** Aborted when the attempt is given up (its timeout, the run stopping): the command is killed. */
  readonly signal: AbortSignal;
  /** Told each chunk of output as it comes (a live log); what the result returns is the same bytes, whole. */
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
}

export interface SandboxSession {
  /** The work tree's absolute path on this machine. */
  readonly workTree: string;
  /** Runs `sh -c command` in the work tree. */
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<string>;
  /** Creates or replaces the file (and its directories); returns the bytes written. */
  writeFile(path: string, text: string): Promise<number>;
  /** Files (not directories) matching the glob, relative, `/`-separated, sorted by code unit. */
  listFiles(glob: string): Promise<string[]>;
  /** Keeps a copy of the work tree as it is now under `name` (a `checkpoint` in the body), for a retry to start from. */
  saveCheckpoint(name: string): Promise<void>;
  /**
   * The CPU time the sandbox's processes have used since it was acquired,
   * in ms, as the kernel counts it (a cgroup, a VM's threads); null when the
   * driver cannot tell, and a step is charged the time it held the sandbox.
   */
  cpuMs(): Promise<number | null>;
  /** Ends every process of the sandbox; the work tree stays (it is the node's result, and a resumed attempt goes on in it). */
  release(): Promise<void>;
}

/**
 * How an attempt finds its work tree: as the last one left it (the same
 * attempt, resumed after a crash), empty (a first attempt, or a retry from
 * the start), or as it was at a checkpoint an earlier attempt saved (a
 * retry from there).
 */
export type WorkTreeStart = { readonly kind: "keep" } | { readonly kind: "fresh" } | { readonly kind: "restore"; readonly checkpoint: string };

export interface SandboxRequest {
  /** The directory the session works in. */
  readonly workTree: string;
  readonly start: WorkTreeStart;
  /** The unit's `effects` clause: what the sandbox must allow and, in isolating drivers, all it allows. */
  readonly effects: readonly Effect[];
  /** The profile the unit's `sandbox "NAME"` (or the project's default) names. */
  readonly profile: ResolvedProfile;
  /** Where checkpoints of work trees keep their files: one store per project, each content once. */
  readonly objects: string;
}

export interface SandboxDriver {
  readonly name: DriverName;
  readonly isolation: Isolation;
  /** Whether a profile's `share` (host paths visible read-only) can be honoured. */
  readonly sharesHostPaths: boolean;
  acquire(request: SandboxRequest): Promise<SandboxSession>;
}
