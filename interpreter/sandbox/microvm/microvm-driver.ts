import { spawnSync } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { totalmem } from "node:os";
import { join } from "node:path";
import { HostTree } from "../host-tree.ts";
import type { ResolvedProfile } from "../profile.ts";
import type { ExecOptions, ExecResult, SandboxDriver, SandboxRequest, SandboxSession } from "../sandbox.ts";
import { TreeSession } from "../tree-session.ts";
import { chooseAccelerator } from "./accelerator.ts";
import { microvmCacheDir } from "./cache-dir.ts";
import { ensureGuestImage, loadGuestImage, type GuestImage } from "./guest-image.ts";
import { hostCpuKhz } from "./host-cpu-khz.ts";
import { MicrovmError } from "./microvm-error.ts";
import { qemuBinary } from "./qemu-command.ts";
import { RuntimeDir } from "./runtime-dir.ts";
import { type Clone, type PoolLimits, WarmPool } from "./warm-pool.ts";

/**
 * The `microvm` driver: each session is a QEMU microVM of its own, a
 * copy-on-write clone of a booted template (warm-pool.ts), with a kernel of
 * its own between the node's commands and this machine.
 *
 * What a node is granted decides what its VM has (qemu-command.ts):
 * - the work tree, shared by 9p as /work: read-only on this side unless
 *   `fs.write`; not shared at all (an empty /work) without `fs.read` or
 *   `fs.write`. The rest of the guest's file system is its initramfs, in its
 *   own RAM: writable, gone with the VM, never seen here; no host file
 *   outside the share is reachable.
 * - a network only with `net` (QEMU's user-mode network: the host's
 *   127.0.0.1 is 10.0.2.2); without it, no interface.
 * - new processes only with `proc`: otherwise the command's cgroup in the
 *   guest has pids.max 1, the shell itself.
 * - memory: the VM's RAM is the profile's `memoryMb`; a command's cgroup may
 *   use all of it but what the guest's kernel and agent need, and past it
 *   the guest's OOM killer ends the command (`outOfMemory`).
 * - CPU: `cpus` rounded up is the VM's vCPU count.
 *
 * Files are read, written and listed on this side (host-tree.ts), as with
 * every driver. A session's compute (`cpuMs`) is the CPU time of its QEMU
 * process, every thread of it (vCPUs, device emulation, 9p), since the
 * session was handed out, read from /proc/PID/stat: under TCG, that is the
 * emulation's cost, about 12 times what the command would take natively.
 */
export interface MicrovmOptions {
  /** Where the image, templates and the accelerator's verdict are kept (default: cache-dir.ts). */
  readonly cacheDir?: string;
  readonly pool?: Partial<PoolLimits>;
}

export interface MicrovmDriver extends SandboxDriver {
  /** Destroys every VM this driver runs and removes its runtime directory. */
  close(): Promise<void>;
  /** The pool serving `base` (null: the cache's image), starting the driver when it has not started: for benchmarks and `flow sandbox status`. */
  pool(base: string | null): Promise<WarmPool>;
}

/** Defaults: 8 VMs at once, within half of this machine's memory. */
export function defaultPoolLimits(): PoolLimits {
  return { size: 8, memoryBudgetMb: Math.floor(totalmem() / 1024 / 1024 / 2) };
}

export function microvmDriver(options: MicrovmOptions = {}): MicrovmDriver {
  const cacheDir = options.cacheDir ?? microvmCacheDir();
  const limits: PoolLimits = { ...defaultPoolLimits(), ...options.pool };
  const pools = new Map<string, Promise<WarmPool>>();
  const sessions = new Set<MicrovmSession>();
  let runtime: Promise<RuntimeDir> | undefined;

  const poolFor = (base: string | null): Promise<WarmPool> => {
    const key = base ?? "";
    let pool = pools.get(key);
    if (pool === undefined) {
      runtime ??= RuntimeDir.create();
      pool = startPool(cacheDir, base, runtime, limits);
      pool.catch(() => pools.delete(key));
      pools.set(key, pool);
    }
    return pool;
  };

  return {
    name: "microvm",
    isolation: "vm",
    // Every clone has the template's devices, and the template has one 9p share, the work tree's.
    sharesHostPaths: false,
    pool: poolFor,
    async acquire(request: SandboxRequest): Promise<SandboxSession> {
      if (request.profile.share.length > 0) {
        // Every clone has the template's devices, and the template has one share: more would need slots made at boot.
        throw new MicrovmError(
          `sandbox profile "${request.profile.name}" shares ${request.profile.share.join(", ")}, which the microvm driver cannot share yet`,
          "Copy what the node needs into its work tree, or run the profile with the bwrap driver.",
        );
      }
      const pool = await poolFor(request.profile.base);
      const tree = await HostTree.prepare(request);
      const names = new Set(request.effects.map((effect) => effect.name));
      const clone = await pool.clone({
        shape: { memoryMb: request.profile.memoryMb, vcpus: Math.max(1, Math.ceil(request.profile.cpus)) },
        share: tree.readable ? { path: tree.root, writable: tree.writable } : null,
        network: names.has("net"),
      });
      const session = new MicrovmSession(tree, clone, request.profile, names.has("proc"), await clone.process.cpuMs(), () => sessions.delete(session));
      sessions.add(session);
      return session;
    },
    async close(): Promise<void> {
      await Promise.all([...sessions].map((session) => session.release()));
      if (runtime !== undefined) await (await runtime).remove();
    },
  };
}

/** Why this machine cannot run microVMs at all (no QEMU), or null: what `flow run` checks before recording a run that needs them. */
export function microvmUnavailable(): string | null {
  if (spawnSync(qemuBinary, ["--version"]).error === undefined) return null;
  return `the microvm driver needs ${qemuBinary}, which is not installed here (apt-get install qemu-system-x86)`;
}

async function startPool(cacheDir: string, base: string | null, runtime: Promise<RuntimeDir>, limits: PoolLimits): Promise<WarmPool> {
  const unavailable = microvmUnavailable();
  if (unavailable !== null) throw new MicrovmError(unavailable, "or run with --sandbox bwrap|process");
  const image = await imageFor(cacheDir, base);
  const emptyDir = join(cacheDir, "empty");
  await mkdir(emptyDir, { recursive: true });
  const tscKhz = await hostCpuKhz();
  const dir = await runtime;
  const { accelerator } = await chooseAccelerator(cacheDir, { image, shape: { memoryMb: 256, vcpus: 1 }, tscKhz, emptyDir, runtime: dir });
  return new WarmPool({ image, accelerator, tscKhz, cacheDir, emptyDir, runtime: dir, limits });
}

/** A profile's own image (`base`) as it is, or the cache's, built or rebuilt when missing or stale. */
async function imageFor(cacheDir: string, base: string | null): Promise<GuestImage> {
  if (base === null) {
    const outcome = await ensureGuestImage(join(cacheDir, "image"));
    // The old image's templates would never be restored again (their key names the image): they are only disk.
    if (outcome.kind === "built") await rm(join(cacheDir, "templates"), { recursive: true, force: true });
    return outcome.image;
  }
  const image = await loadGuestImage(base);
  if ("problem" in image) throw new MicrovmError(`the sandbox profile's base is not a guest image: ${image.problem}`, "Build one with `flow sandbox build`, or leave `base` out to use the cache's.");
  return image;
}

/**
 * What a command in the guest sees: a PATH for busybox, root's home, UTF-8,
 * the profile's variables (a `$NAME` value taken from flow's own
 * environment), then the step's. Nothing else of this machine's.
 */
function guestEnvironment(profile: ResolvedProfile, env: Readonly<Record<string, string>>): Record<string, string> {
  const fromProfile = Object.fromEntries(
    Object.entries(profile.env).map(([name, value]) => [name, value.startsWith("$") ? (process.env[value.slice(1)] ?? "") : value]),
  );
  return { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", HOME: "/root", LANG: "C.UTF-8", LC_ALL: "C.UTF-8", ...fromProfile, ...env };
}

class MicrovmSession extends TreeSession {
  private finalCpuMs: number | null = null;
  private released = false;

  constructor(
    tree: HostTree,
    private readonly clone: Clone,
    private readonly profile: ResolvedProfile,
    private readonly mayStartProcesses: boolean,
    private readonly cpuAtStart: number | null,
    private readonly onRelease: () => void,
  ) {
    super(tree);
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.released) throw new MicrovmError("the microVM of this session was released");
    try {
      return await this.clone.agent.exec({
        command,
        cwd: "/work",
        env: guestEnvironment(this.profile, options.env),
        timeoutMs: options.timeoutMs ?? this.profile.timeoutMs,
        pidsMax: this.mayStartProcesses ? this.profile.pids : 1,
        signal: options.signal,
        ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
      });
    } catch (error) {
      if (options.signal.aborted || !(error instanceof MicrovmError)) throw error;
      const diagnosis = await this.clone.process.diagnosis();
      throw new MicrovmError(`${error.message}${diagnosis === "" ? "" : `\n${diagnosis}`}`);
    }
  }

  async cpuMs(): Promise<number | null> {
    if (this.released) return this.finalCpuMs;
    const now = await this.clone.process.cpuMs();
    return now === null || this.cpuAtStart === null ? null : now - this.cpuAtStart;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.finalCpuMs = await this.cpuMs();
    this.released = true;
    await this.clone.destroy();
    this.onRelease();
  }
}
