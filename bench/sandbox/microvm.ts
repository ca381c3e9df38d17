/**
 * The microvm driver's latencies (issue 6's targets on a 2-core machine
 * under TCG: a clone ready in ≤ 200 ms against a cold boot of ~2 s, a
 * command round trip on a warm VM in ≤ 5 ms):
 *
 * - cold boot: a VM booted from the image (anonymous RAM, as the
 *   accelerator probe boots) until its agent answers; median of 5;
 * - clone ready: `acquire` of a session (a clone restored from the
 *   template, given the time and fresh randomness, its work tree mounted),
 *   with `fs.read fs.write` and with `fs.write net` too; p50/p90 of 20;
 * - round trip: `exec("true")` on one warm session, back to back; p50/p90
 *   of 50. Each command runs in a subshell the guest's session shell forks
 *   once the last one is reported (~2 ms under TCG): back to back, the next
 *   command may wait for that fork;
 * - round trip after a pause: the same, each after 50 ms of idleness (as
 *   a step's commands come), when the subshell is ready; p50/p90 of 20.
 *
 * The templates (with and without network) are made first (or found in the
 * cache) and not timed. Called
 * by bench/sandbox/run.ts; every figure is in ms. Load matters under TCG:
 * the 1-minute load average is returned beside the figures.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Effect } from "../../compiler/ir/effect.ts";
import { chooseAccelerator } from "../../interpreter/sandbox/microvm/accelerator.ts";
import { microvmCacheDir } from "../../interpreter/sandbox/microvm/cache-dir.ts";
import { ensureGuestImage } from "../../interpreter/sandbox/microvm/guest-image.ts";
import { hostCpuKhz } from "../../interpreter/sandbox/microvm/host-cpu-khz.ts";
import { microvmDriver } from "../../interpreter/sandbox/microvm/microvm-driver.ts";
import { RuntimeDir } from "../../interpreter/sandbox/microvm/runtime-dir.ts";
import { bootVm } from "../../interpreter/sandbox/microvm/vm-template.ts";
import { builtInProfile } from "../../interpreter/sandbox/profile.ts";
import type { SandboxRequest } from "../../interpreter/sandbox/sandbox.ts";

export interface MicrovmFigures {
  readonly accelerator: string;
  readonly memoryMb: number;
  readonly loadAverage: number;
  readonly coldBootMs: { readonly median: number };
  readonly cloneReadyMs: { readonly p50: number; readonly p90: number };
  readonly cloneReadyWithNetMs: { readonly p50: number; readonly p90: number };
  readonly roundTripMs: { readonly p50: number; readonly p90: number };
  readonly roundTripAfterPauseMs: { readonly p50: number; readonly p90: number };
}

export async function benchMicrovm(options: { readonly memoryMb?: number; readonly boots?: number; readonly clones?: number; readonly roundTrips?: number } = {}): Promise<MicrovmFigures> {
  const memoryMb = options.memoryMb ?? 256;
  const cacheDir = microvmCacheDir();
  const runtime = await RuntimeDir.create();
  const work = await mkdtemp(join(tmpdir(), "flow-bench-microvm-"));
  const driver = microvmDriver({ cacheDir });
  try {
    const shape = { memoryMb, vcpus: 1 };
    // The driver's pool first: it builds or rebuilds the image (and drops the old image's templates) and makes the empty share.
    const pool = await driver.pool(null);
    const { image } = await ensureGuestImage(join(cacheDir, "image"));
    const tscKhz = await hostCpuKhz();
    const emptyDir = join(cacheDir, "empty");
    const { accelerator } = await chooseAccelerator(cacheDir, { image, shape, tscKhz, emptyDir, runtime });

    const boots: number[] = [];
    for (let i = 0; i < (options.boots ?? 5); i++) {
      const started = performance.now();
      const vm = await bootVm({ image, accelerator, shape, tscKhz, emptyDir, runtime, bootTimeoutMs: 120_000 }, { kind: "anonymous" }, "bench-boot");
      boots.push(performance.now() - started);
      vm.agent.close();
      await vm.process.kill();
      await runtime.removeVmDir(vm.process.dir);
    }

    await pool.template(shape);
    await pool.template(shape, true);
    const request = (effects: Array<Effect["name"]>, i: number): SandboxRequest => ({
      workTree: join(work, `tree-${i}`),
      start: { kind: "fresh" },
      effects: effects.map((name) => ({ name, scope: null })),
      profile: { ...builtInProfile, share: [], name: "bench", driver: "microvm", memoryMb },
      objects: join(work, "objects"),
    });
    const acquireTimes = async (effects: Array<Effect["name"]>): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < (options.clones ?? 20); i++) {
        const started = performance.now();
        const session = await driver.acquire(request(effects, i));
        times.push(performance.now() - started);
        await session.release();
      }
      return times;
    };
    const clones = await acquireTimes(["fs.read", "fs.write"]);
    const clonesWithNet = await acquireTimes(["fs.read", "fs.write", "net"]);

    const session = await driver.acquire(request(["fs.read", "fs.write", "proc"], 0));
    const trips: number[] = [];
    const exec = { timeoutMs: null, env: {}, signal: new AbortController().signal };
    await session.exec("true", exec);
    for (let i = 0; i < (options.roundTrips ?? 50); i++) {
      const started = performance.now();
      await session.exec("true", exec);
      trips.push(performance.now() - started);
    }
    const pausedTrips: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      await session.exec("true", exec);
      pausedTrips.push(performance.now() - started);
    }
    await session.release();

    return {
      accelerator,
      memoryMb,
      loadAverage: loadavg()[0]!,
      coldBootMs: { median: percentile(boots, 0.5) },
      cloneReadyMs: spread(clones),
      cloneReadyWithNetMs: spread(clonesWithNet),
      roundTripMs: spread(trips),
      roundTripAfterPauseMs: spread(pausedTrips),
    };
  } finally {
    await driver.close();
    await runtime.remove();
    await rm(work, { recursive: true, force: true });
  }
}

function spread(times: readonly number[]): { p50: number; p90: number } {
  return { p50: percentile(times, 0.5), p90: percentile(times, 0.9) };
}

/** The nearest-rank percentile, to 0.1 ms. */
function percentile(times: readonly number[], at: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(at * sorted.length) - 1))] ?? Number.NaN;
  return Math.round(value * 10) / 10;
}
