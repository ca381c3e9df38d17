import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { GuestAgent } from "./guest-agent.ts";
import type { GuestImage } from "./guest-image.ts";
import { MicrovmError } from "./microvm-error.ts";
import { type Accelerator, type MachineShape, qemuCommand } from "./qemu-command.ts";
import { QmpClient } from "./qmp.ts";
import type { RuntimeDir } from "./runtime-dir.ts";
import { VmProcess } from "./vm-process.ts";
import { findOrMakeTemplate, type VmTemplate } from "./vm-template.ts";

/**
 * The warm pool: for each machine shape, one template (booted and saved
 * once, vm-template.ts), and clones of it restored on demand: a clone maps
 * the template's RAM copy-on-write and loads its device state, ~40 ms
 * instead of a ~2 s boot. Clones cannot be restored ahead of time, because
 * a clone's share and network are fixed when its QEMU starts and depend on
 * the session (its work tree, its effects).
 *
 * A clone with `net` is restored from a template of its own (see template).
 *
 * Every clone starts with the template's RNG state and its clock as it
 * was when saved: before it is handed out it is given the current time and
 * 64 bytes of this host's randomness, and the RNG is reseeded. A clone
 * serves one session and is destroyed at its release, never reused.
 *
 * The pool bounds what runs at once: at most `size` clones, and at most
 * `memoryBudgetMb` of their RAM together (each counted at its full size,
 * the most its guest can touch); an acquisition past either waits its turn.
 */
export interface PoolLimits {
  readonly size: number;
  readonly memoryBudgetMb: number;
}

export interface CloneRequest {
  readonly shape: MachineShape;
  /** The host directory shared as /work, or null for none (an empty one). */
  readonly share: { readonly path: string; readonly writable: boolean } | null;
  readonly network: boolean;
}

export interface PoolSetting {
  readonly image: GuestImage;
  readonly accelerator: Accelerator;
  readonly tscKhz: number | null;
  readonly cacheDir: string;
  readonly emptyDir: string;
  readonly runtime: RuntimeDir;
  readonly limits: PoolLimits;
}

/** How long a template's boot may take: TCG on a loaded 2-core machine has been seen at 5 s. */
const bootTimeoutMs = 90_000;
const restoreTimeoutMs = 30_000;

export class WarmPool {
  private readonly templates = new Map<string, Promise<VmTemplate>>();
  private running = 0;
  private memoryMb = 0;
  private readonly queue: Array<{ readonly memoryMb: number; readonly go: () => void }> = [];

  constructor(private readonly setting: PoolSetting) {}

  get limits(): PoolLimits {
    return this.setting.limits;
  }

  /**
   * The template for `shape`, booting it (once per process, and only when the cache has none). Clones with `net`
   * have one of their own, whose NIC was bound and configured before it was saved: binding it in each clone cost
   * ~130 ms under TCG. Without `net`, the template has no interface at all.
   */
  template(shape: MachineShape, network = false): Promise<VmTemplate> {
    const key = `${shape.memoryMb}/${shape.vcpus}/${network ? "net" : "none"}`;
    let template = this.templates.get(key);
    if (template === undefined) {
      const { image, accelerator, tscKhz, cacheDir, emptyDir, runtime } = this.setting;
      template = findOrMakeTemplate({ image, accelerator, tscKhz, shape, network, templates: join(cacheDir, "templates"), emptyDir, runtime, bootTimeoutMs });
      // A failed boot is not remembered: the next acquisition tries again.
      template.catch(() => this.templates.delete(key));
      this.templates.set(key, template);
    }
    return template;
  }

  async clone(request: CloneRequest): Promise<Clone> {
    const { memoryMb } = request.shape;
    if (memoryMb > this.setting.limits.memoryBudgetMb) {
      throw new MicrovmError(
        `a ${memoryMb} MiB microVM does not fit the pool's memory budget of ${this.setting.limits.memoryBudgetMb} MiB`,
        "Give the profile less memory (memoryMb), or the pool a larger budget.",
      );
    }
    const template = await this.template(request.shape, request.network);
    await this.reserve(memoryMb);
    try {
      return await this.restore(template, request);
    } catch (error) {
      this.free(memoryMb);
      throw error;
    }
  }

  private async restore(template: VmTemplate, request: CloneRequest): Promise<Clone> {
    const { image, accelerator, tscKhz, emptyDir, runtime } = this.setting;
    const share = request.share ?? { path: emptyDir, writable: false };
    // The template's state reaches QEMU as an open file, not through `exec:cat` (a shell and cat forked from QEMU).
    const state = await open(template.state, "r");
    const vm = await VmProcess.start(
      qemuCommand({
        vmlinux: image.vmlinux,
        initrd: image.initrd,
        accelerator,
        shape: template.shape,
        tscKhz,
        ram: { kind: "clone", path: template.ram },
        share,
        network: request.network ? "user" : "none",
        agentSocket: "agent.sock",
        qmpSocket: "qmp.sock",
        consoleLog: "console.log",
        incoming: true,
      }),
      runtime,
      "clone",
      state.fd,
    ).finally(() => state.close());
    const alive = (): boolean => vm.alive;
    const deadline = Date.now() + restoreTimeoutMs;
    let agent: GuestAgent | undefined;
    try {
      // Everything is asked at once, each request as soon as its socket accepts: QEMU answers QMP in order and the
      // guest reads its first request once it runs; nothing is polled. A failed restore ends QEMU (alive turns false).
      const [qmp, connected] = await Promise.all([QmpClient.connect(join(vm.dir, "qmp.sock"), deadline, alive), GuestAgent.connect(join(vm.dir, "agent.sock"), deadline, alive)]);
      agent = connected;
      const woken = agent.wake(randomBytes(64), request.share, deadline, alive);
      woken.catch(() => undefined); // Awaited below: a failure while QMP is still busy is not unhandled.
      try {
        await Promise.all([
          qmp.execute("migrate-set-capabilities", { capabilities: [{ capability: "x-ignore-shared", state: true }] }),
          // The template was saved running (vm-template.ts), so the clone runs once its state is loaded.
          qmp.execute("migrate-incoming", { uri: "fd:3" }),
        ]);
      } finally {
        qmp.close();
      }
      await woken;
      return new Clone(vm, agent, () => this.free(template.shape.memoryMb), runtime);
    } catch (error) {
      agent?.close();
      const diagnosis = await vm.diagnosis();
      await vm.kill();
      await runtime.removeVmDir(vm.dir);
      throw new MicrovmError(`restoring a microVM from its template failed: ${(error as Error).message}${diagnosis === "" ? "" : `\n${diagnosis}`}`);
    }
  }

  private reserve(memoryMb: number): Promise<void> {
    if (this.queue.length === 0 && this.fits(memoryMb)) {
      this.take(memoryMb);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push({ memoryMb, go: resolve }));
  }

  private fits(memoryMb: number): boolean {
    return this.running < this.setting.limits.size && this.memoryMb + memoryMb <= this.setting.limits.memoryBudgetMb;
  }

  private take(memoryMb: number): void {
    this.running++;
    this.memoryMb += memoryMb;
  }

  private free(memoryMb: number): void {
    this.running--;
    this.memoryMb -= memoryMb;
    // First come, first served: a large request at the head is not overtaken by small ones behind it.
    while (this.queue.length > 0 && this.fits(this.queue[0]!.memoryMb)) {
      const next = this.queue.shift()!;
      this.take(next.memoryMb);
      next.go();
    }
  }
}

/** A restored VM serving one session; destroyed at its release. */
export class Clone {
  private released = false;

  constructor(
    readonly process: VmProcess,
    readonly agent: GuestAgent,
    private readonly onRelease: () => void,
    private readonly runtime: RuntimeDir,
  ) {}

  async destroy(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.agent.close();
    await this.process.kill();
    await this.runtime.removeVmDir(this.process.dir);
    this.onRelease();
  }
}
