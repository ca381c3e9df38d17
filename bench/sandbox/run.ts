/**
 * `npm run bench:sandbox` (`node scripts/bench.mjs sandbox`): what a
 * sandbox costs, per driver, on this machine.
 *
 * - **cycle**: acquire a sandbox (its work tree, its cgroup with limits),
 *   run `true` in it, release it: p50 and p90 of BENCH_CYCLES (200).
 *   Target for bwrap: ≤ 10 ms p50, limits included.
 * - **round trip**: `true` in a sandbox already acquired: p50 and p90 of
 *   BENCH_TRIPS (200). Target ≤ 5 ms. For bwrap, a fork and an exec by
 *   flow's agent in the session's sandbox (made ahead, ../README.md says
 *   how).
 *
 * The process driver (no isolation) is the floor each isolating driver is
 * measured against; bwrap runs with every effect but `proc` denied, so its
 * seccomp filter and cgroup are both in the figure.
 *
 * Then the microvm driver (./microvm.ts), where QEMU is installed: cold
 * boot against a clone restored from the template, and round trips.
 * Targets: clone ready ≤ 200 ms against a cold boot of about 2 s, round
 * trip ≤ 5 ms. BENCH_MICROVM=0 skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Effect } from "../../compiler/ir/effect.ts";
import { bwrapDriver, bwrapWorks } from "../../interpreter/sandbox/bwrap/bwrap.ts";
import { detectCgroups } from "../../interpreter/sandbox/bwrap/cgroup.ts";
import { microvmUnavailable } from "../../interpreter/sandbox/microvm/microvm-driver.ts";
import { processDriver } from "../../interpreter/sandbox/process.ts";
import { builtInProfile } from "../../interpreter/sandbox/profile.ts";
import type { SandboxDriver, SandboxRequest } from "../../interpreter/sandbox/sandbox.ts";
import { benchMicrovm } from "./microvm.ts";

const cycles = Number(process.env["BENCH_CYCLES"] ?? 200);
const trips = Number(process.env["BENCH_TRIPS"] ?? 200);
const root = mkdtempSync(join(tmpdir(), "flow-bench-sandbox-"));

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
const ms = (x: number) => `${x.toFixed(2).padStart(7)} ms`;

function request(driver: SandboxDriver, n: number): SandboxRequest {
  const effects: Effect[] = (["fs.read", "fs.write", "net"] as const).map((name) => ({ name, scope: null }));
  const workTree = join(root, `${driver.name}-${n}`);
  return { workTree, effects, start: { kind: "keep" }, objects: join(root, "objects"), profile: { ...builtInProfile, share: [], name: "bench", driver: driver.name } };
}

const exec = { timeoutMs: 10_000, env: {}, signal: new AbortController().signal };

async function measure(driver: SandboxDriver): Promise<{ cycle: number[]; trip: number[] }> {
  const cycle: number[] = [];
  for (let i = 0; i < cycles; i++) {
    const began = performance.now();
    const session = await driver.acquire(request(driver, i));
    const result = await session.exec("true", exec);
    await session.release();
    cycle.push(performance.now() - began);
    if (result.exit !== 0) throw new Error(`${driver.name}: \`true\` exited ${result.exit}: ${result.stderr}`);
  }
  const session = await driver.acquire(request(driver, -1));
  const trip: number[] = [];
  for (let i = 0; i < trips; i++) {
    const began = performance.now();
    await session.exec("true", exec);
    trip.push(performance.now() - began);
  }
  await session.release();
  return { cycle, trip };
}

const drivers: SandboxDriver[] = [processDriver];
if (bwrapWorks()) drivers.push(bwrapDriver({ projectDir: root }));
else console.log("bwrap: not measured (bubblewrap is not installed or cannot make a sandbox here)");

const cgroups = detectCgroups();
console.log(`${cycles} cycles and ${trips} round trips per driver; cgroups: ${cgroups === null ? "none (prlimit)" : `v${cgroups.version}`}`);
console.log(`${"driver".padEnd(9)} ${"cycle p50".padStart(10)} ${"cycle p90".padStart(10)} ${"trip p50".padStart(10)} ${"trip p90".padStart(10)}`);
const floor = new Map<string, number>();
for (const driver of drivers) {
  const { cycle, trip } = await measure(driver);
  floor.set(driver.name, quantile(cycle, 0.5));
  console.log(`${driver.name.padEnd(9)} ${ms(quantile(cycle, 0.5))} ${ms(quantile(cycle, 0.9))} ${ms(quantile(trip, 0.5))} ${ms(quantile(trip, 0.9))}`);
  if (driver.name === "bwrap") {
    const p50 = quantile(cycle, 0.5);
    console.log(`  bwrap cycle target ≤ 10 ms p50: ${p50 <= 10 ? "meets target" : "MISSES target"} (${(p50 / 10).toFixed(2)}× target; ${(p50 / (floor.get("process") ?? p50)).toFixed(1)}× the process driver)`);
    const trip50 = quantile(trip, 0.5);
    console.log(`  round trip target ≤ 5 ms p50: ${trip50 <= 5 ? "meets target" : "MISSES target"} (${(trip50 / 5).toFixed(2)}× target)`);
  }
}
rmSync(root, { recursive: true, force: true });

if (process.env["BENCH_MICROVM"] !== "0" && microvmUnavailable() === null) {
  const vm = await benchMicrovm();
  const verdict = (value: number, target: number) => `${value <= target ? "meets" : "MISSES"} target (${(value / target).toFixed(2)}× target)`;
  console.log(`\nmicrovm (${vm.accelerator}, ${vm.memoryMb} MiB, load ${vm.loadAverage.toFixed(1)})`);
  console.log(`  cold boot to agent ready   ${ms(vm.coldBootMs.median)} median`);
  console.log(`  clone ready                ${ms(vm.cloneReadyMs.p50)} p50 ${ms(vm.cloneReadyMs.p90)} p90: ${verdict(vm.cloneReadyMs.p50, 200)}; ${(vm.coldBootMs.median / vm.cloneReadyMs.p50).toFixed(1)}× faster than a cold boot`);
  console.log(`  clone ready, with net      ${ms(vm.cloneReadyWithNetMs.p50)} p50 ${ms(vm.cloneReadyWithNetMs.p90)} p90: ${verdict(vm.cloneReadyWithNetMs.p50, 200)}`);
  console.log(`  round trip, back to back   ${ms(vm.roundTripMs.p50)} p50 ${ms(vm.roundTripMs.p90)} p90: ${verdict(vm.roundTripMs.p50, 5)}`);
  console.log(`  round trip after a pause   ${ms(vm.roundTripAfterPauseMs.p50)} p50 ${ms(vm.roundTripAfterPauseMs.p90)} p90: ${verdict(vm.roundTripAfterPauseMs.p50, 5)}`);
} else console.log("\nmicrovm: not measured (BENCH_MICROVM=0, or QEMU is not installed)");
