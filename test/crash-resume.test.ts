import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ir } from "../compiler/ir/schema.ts";
import { emptyHead, seal } from "../interpreter/ledger/chain.ts";
import { openStore } from "../interpreter/store/open-store.ts";
import { commandLine, drainProcessesUnder, groupsOf, isAlive, killLiveGroups, killProcessesUnder, processesUnder, spawnGroup, waitUntil } from "./support/crash/children.ts";
import { bundleRestoreChild, flow, installCli, runIdIn } from "./support/crash/cli.ts";
import { type Baseline, type CrashReport, CrashRun, describePlan, type KillPlan, killAt } from "./support/crash/crash-run.ts";
import { readLedger } from "./support/crash/ledger.ts";
import { crashSeed, Prng } from "./support/crash/prng.ts";
import { repoRoot } from "./support/run-cli.ts";

/**
 * The crash test of issue 4: the crash workflow (test/fixtures/crash/: a
 * fan-out of `sh` steps that append their journal ids to a file) is run
 * with the real command line on the durable SQLite store, SIGKILLed at
 * random points (`FLOW_CRASH_POINTS`, 20 by default; the seed is printed,
 * `FLOW_CRASH_SEED` repeats it), and resumed until it completes, some
 * resumes being killed too. Each time: the result is the uninterrupted
 * run's, `flow replay` says identical, from the store and exported into a
 * fresh directory, and the side-effect file shows every step ran, none
 * twice outside the crash window (a step is run again only when a kill
 * came before its result was recorded).
 */

const points = envInt("FLOW_CRASH_POINTS", 20);
/** Runs killed side by side: most of a run's time is `sleep` and process starts. */
const parallel = envInt("FLOW_CRASH_PARALLEL", 4);
const seed = crashSeed();

let root = "";
let bin = "";
let argsFile = "";
let baseline: Baseline;
let failed = false;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "flow-crash-"));
  bin = installCli(root);
  argsFile = join(root, "args.json");
  // Ten items, four at a time, each with its own pause so that their steps end out of step with each other; three fail once and are retried.
  const items = Array.from({ length: 10 }, (_, i) => ({ name: `i${String(i).padStart(2, "0")}`, pause: `0.0${2 + ((i * 3) % 8)}`, fails: i % 3 === 1 ? "once" : "never" }));
  writeFileSync(argsFile, JSON.stringify({ items }));
  baseline = await uninterrupted();
}, 120_000);

afterAll(() => {
  killLiveGroups();
  if (root === "") return;
  killProcessesUnder(root);
  if (failed || process.env["FLOW_CRASH_KEEP"] === "1") {
    rmSync(join(root, "cli"), { recursive: true, force: true });
    console.log(`crash test: the runs' directories are kept in ${root}`);
  } else rmSync(root, { recursive: true, force: true });
});

/** Runs a test body, remembering a failure so that the runs' directories are kept for a look. */
async function keepOnFailure(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    failed = true;
    throw error;
  }
}

// Concurrent: most of each test's time is waiting on steps' sleeps and processes' starts.
describe.concurrent("crash and resume with the real command line", () => {
  it(`survives SIGKILL at ${points} random points: resume completes with the same output, replay verifies, no step runs twice outside the window`, async () => {
    await keepOnFailure(async () => {
      const prng = new Prng(seed);
      const plans = Array.from({ length: points }, () => drawPlan(prng));
      console.log(`crash test: seed ${seed} (FLOW_CRASH_SEED=${seed} repeats these kill points), ${points} points, ${parallel} at a time`);
      const started = performance.now();
      const outcomes = await pool(points, parallel, (i) => crashPoint(i, plans[i] as PointPlan));
      if (process.env["FLOW_CRASH_VERBOSE"] === "1") outcomes.forEach((o, i) => console.log(describePoint(i, plans[i] as PointPlan, o)));
      const seconds = (performance.now() - started) / 1000;

      const reports = outcomes.flatMap((o) => ("report" in o ? [o.report] : []));
      const failures = outcomes.flatMap((o) => ("error" in o ? [o.error] : []));
      console.log(summarise(reports, seconds));
      if (failures.length > 0) throw new Error(`${failures.length} of ${points} kill points failed (seed ${seed}):\n\n${failures.join("\n\n")}`);
      // The points must have killed something mid-run, or the test tested nothing.
      expect(reports.filter((r) => r.kills > 0 && r.entriesAtKill > 0).length).toBeGreaterThanOrEqual(Math.ceil(points / 2));
    });
  }, 60_000 + points * 20_000);

  it("flow run --detach with no crash runs every step once (the command that detaches runs none)", async () => {
    await keepOnFailure(async () => {
      const run = new CrashRun(bin, join(root, "detach-whole"), argsFile);
      const detached = await run.flow([...run.runArgs(), "--detach"]);
      expect(detached.code, detached.stderr).toBe(0);
      run.id = detached.stdout.trim();
      // The background `flow resume` ends with the run; then the file says how often each step ran.
      expect(await waitUntil(() => processesUnder(run.dir).length === 0, 60_000)).toBe(true);
      await run.check(baseline);
    });
  }, 90_000);

  it("flow run --detach: its background process group is SIGKILLed, flow resume completes the run", async () => {
    await keepOnFailure(async () => {
      const prng = new Prng(seed ^ 0x5bd1e995);
      const run = new CrashRun(bin, join(root, "detach"), argsFile);
      const detached = await run.flow([...run.runArgs(), "--detach"]);
      expect(detached.code, detached.stderr).toBe(0);
      const id = detached.stdout.trim();
      expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
      run.id = id;
      expect(detached.stderr).toContain(`flow status ${id}`);

      // The background `flow resume`, which works in the run's directory, as the command that started it did.
      let background = 0;
      expect(await waitUntil(() => (background = processesUnder(run.dir).find((pid) => commandLine(pid)?.includes(`resume ${id}`) === true) ?? 0) !== 0, 10_000)).toBe(true);
      const log = join(run.dir, ".flow", "logs", `${id}.log`);
      const lines = prng.int(3, 12);
      await waitUntil(() => lineCount(log) >= lines || !isAlive(background), 30_000);
      expect(isAlive(background), `the background run ended before its kill, after ${lineCount(log)} lines of log`).toBe(true);
      // `--detach` starts it as the leader of a group (and session) of its own: the group is what dies.
      process.kill(-background, "SIGKILL");
      const survivors = groupsOf(processesUnder(run.workDir)).length;
      expect(await waitUntil(() => !isAlive(background), 10_000)).toBe(true);
      run.story.push(`  background flow resume ${background} killed after ${lines} lines of its log`);
      await run.lost(true, survivors);
      expect(run.atKills[0]?.completed).toBeNull();

      await run.resumeToEnd([]);
      await run.check(baseline);
      console.log(`crash test, --detach: killed after ${lines} log lines, ${run.report.entriesAtKill} entries, ${run.report.leftRunning} steps left running, ${run.report.extraRuns} in-window re-runs`);
    });
  }, 90_000);

  it("a retry killed before its tree is restored from its checkpoint resumes on the checkpoint's tree, not the failed attempt's", async () => {
    await keepOnFailure(async () => {
      const [{ dir }, child] = await Promise.all([retryRestoreIn("retry-restore"), bundleRestoreChild(root)]);

      // Uninterrupted: the retry starts from the checkpoint's tree, where the first attempt's junk.txt is not.
      const whole = await flow(bin, ["run", retryRestore, "--sandbox", "process", "--arg", `marker=${join(dir, "whole.marker")}`, "--store", `sqlite:${join(dir, "whole.db")}`], mkdtempSync(join(dir, "whole-")));
      expect(whole.stdout, whole.stderr).toBe(`${JSON.stringify("base.txt\n")}\n`);

      // Killed once the retry is decided and durable, before its tree is restored (restore-child.ts stops there).
      const store = `sqlite:${join(dir, "flow.db")}`;
      const killed = spawnGroup(process.execPath, [child, join(dir, "ir.json"), store, JSON.stringify({ marker: join(dir, "killed.marker") })], dir, "restore-child");
      const restoring = await killed.untilStdoutLine("restoring ");
      expect(restoring, killed.stderr).not.toBeNull();
      killed.signalGroup("SIGKILL");
      await killed.exited;
      const id = (restoring as string).slice("restoring ".length);
      const resumed = await flow(bin, ["resume", id, "--store", store], dir);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout, "the resumed retry ran on the failed attempt's tree").toBe(whole.stdout);
      const replayed = await flow(bin, ["replay", id, "--store", store], dir);
      expect(replayed.stdout).toMatch(/^identical: /);
    });
  }, 90_000);

  it("a run killed between recording its start and its first decisions is resumed, and its ledger replays", async () => {
    await keepOnFailure(async () => {
      const { dir, hash, ir } = await retryRestoreIn("started-only");

      // What `RunDriver.start` has written when a kill ends it before its second append (the first decisions): the run and run.started.
      const spec = `sqlite:${join(dir, "flow.db")}`;
      const store = await openStore(spec, dir);
      const run = "20260101-000000-5ea1ed";
      const at = Date.now();
      const args = { marker: join(dir, "marker") };
      const first = seal(run, emptyHead, { kind: "run.started", at, data: { irHash: hash, ir, workflow: "retry_restore", args, seed: "0".repeat(64), options: { concurrency: 16, sandbox: "process" } } });
      await store.createRun(
        { id: run, workflow: "retry_restore", source: retryRestore, irHash: hash, createdAt: at, status: "running", updatedAt: at },
        { seq: 0, kind: "run.started", text: first.text, hash: first.entry.hash },
      );
      await store.close();

      const resumed = await flow(bin, ["resume", run, "--store", spec], dir);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toBe(`${JSON.stringify("base.txt\n")}\n`);
      const replayed = await flow(bin, ["replay", run, "--store", spec], dir);
      expect(replayed.stdout, "replay decides right after run.started; the live run decided after the run.resumed that followed it").toMatch(/^identical: /);
    });
  }, 90_000);

  it("Ctrl-C: SIGINT stops flow run with exit 130 and says how to resume; flow resume completes the run", async () => {
    await keepOnFailure(async () => {
      const prng = new Prng(seed ^ 0x27d4eb2f);
      const run = new CrashRun(bin, join(root, "interrupt"), argsFile);
      const child = run.start();
      const lines = prng.int(4, Math.max(4, baseline.lines - 6));
      await child.untilStderrLines(lines);
      expect(child.running, `the run ended before its Ctrl-C, after ${child.stderrLines} lines`).toBe(true);
      // A terminal sends SIGINT to the foreground process group: flow's (its steps run in sessions of their own).
      child.signalGroup("SIGINT");
      const exit = await child.exited;
      const id = runIdIn(child.stderr);
      expect(id).not.toBeNull();
      expect({ code: exit.code, signal: exit.signal }, child.stderr).toEqual({ code: 130, signal: null });
      expect(child.stderr).toContain(`flow resume ${id}`);
      // Stopped cleanly: the steps in flight were ended with it, none outlives flow.
      expect(await drainProcessesUnder(run.workDir, 1_000)).toEqual([]);
      run.id = id;
      run.story.push(`  flow run interrupted after ${lines} lines`);
      const status = await run.flow(["status", id as string, "--json", "--store", run.store]);
      // Nobody drives it now: its lease was let go.
      expect(JSON.parse(status.stdout)).toMatchObject({ run: id, status: "interrupted", driver: null });
      await run.lost(false, 0);

      await run.resumeToEnd([]);
      await run.check(baseline);
      console.log(`crash test, Ctrl-C: stopped after ${lines} lines at ${run.report.entriesAtKill} entries, ${run.report.extraRuns} in-window re-runs`);
    });
  }, 90_000);
});

/** The retry workflow (test/fixtures/crash/retry-restore.flow). */
const retryRestore = join(repoRoot, "test", "fixtures", "crash", "retry-restore.flow");

/** A directory of its own for a test of the retry workflow, with the workflow compiled into it (ir.json). */
async function retryRestoreIn(name: string): Promise<{ readonly dir: string; readonly hash: string; readonly ir: Ir }> {
  const dir = join(root, name);
  mkdirSync(dir);
  const compiled = await flow(bin, ["compile", retryRestore, "-o", join(dir, "ir.json")], dir);
  if (compiled.code !== 0) throw new Error(`flow compile ${retryRestore}:\n${compiled.stderr}`);
  const { hash, ir } = JSON.parse(readFileSync(join(dir, "ir.json"), "utf8")) as { hash: string; ir: Ir };
  return { dir, hash, ir };
}

interface PointPlan {
  readonly run: KillPlan;
  /** Resumes that are killed in turn before the last one, which runs to the end. */
  readonly resumes: readonly KillPlan[];
}

/**
 * Where a point's kills land. The first, in `flow run`: mostly after a
 * random number of its progress lines (each one a durable commit) plus up
 * to 80 ms, so it falls anywhere in the run whatever the machine's speed;
 * sometimes during start-up, before or while the run is recorded. A third
 * of the points kill a resume as well, a few of them two.
 */
function drawPlan(prng: Prng): PointPlan {
  const run: KillPlan = prng.chance(0.1)
    ? { lines: 0, ms: Math.round(baseline.firstLineMs * (0.5 + prng.next() * 0.8)) }
    : { lines: prng.int(1, baseline.lines), ms: prng.int(0, 80) };
  const resumes: KillPlan[] = [];
  if (prng.chance(1 / 3)) {
    resumes.push({ lines: prng.int(1, 10), ms: prng.int(0, 80) });
    if (prng.chance(1 / 3)) resumes.push({ lines: prng.int(1, 10), ms: prng.int(0, 80) });
  }
  return { run, resumes };
}

async function crashPoint(index: number, plan: PointPlan): Promise<CrashReport> {
  const run = new CrashRun(bin, join(root, `point-${String(index).padStart(3, "0")}`), argsFile);
  try {
    const child = run.start();
    const { killed, survivors } = await killAt(child, plan.run, run.workDir);
    await run.ended(child, killed, false, survivors.length);
    if (!killed) run.report.landed = "after the run ended (not killed)";
    if (killed && run.id !== null) await run.resumeToEnd(plan.resumes);
    await run.check(baseline);
    return run.report;
  } catch (error) {
    const plans = [describePlan(plan.run), ...plan.resumes.map((p) => `resume ${describePlan(p)}`)].join(", ");
    throw new Error(`point ${index} (kills: ${plans}) in ${run.dir}:\n${(error as Error).message}\n${run.story.join("\n")}`, { cause: error });
  }
}

/** The uninterrupted run every other must end like; checked the same way (with no kill, no step may run twice). */
async function uninterrupted(): Promise<Baseline> {
  const run = new CrashRun(bin, join(root, "uninterrupted"), argsFile);
  const started = performance.now();
  const child = run.start();
  await child.untilStderrLines(1);
  const firstLineMs = performance.now() - started;
  await run.ended(child, false, false);
  const ms = performance.now() - started;
  const stdout = child.stdout;
  const baseline: Baseline = { stdout, result: JSON.parse(stdout) as unknown, lines: child.stderrLines - 1, firstLineMs, ms, entries: 0 };
  await run.check(baseline);
  const entries = readLedger(readFileSync(join(run.dir, "final.ledger"), "utf8")).entries.length;
  console.log(`crash test: the uninterrupted run takes ${Math.round(ms)} ms (first line after ${Math.round(firstLineMs)} ms), ${baseline.lines} lines of progress, ${entries} entries`);
  return { ...baseline, entries };
}

function describePoint(index: number, plan: PointPlan, outcome: { report: CrashReport } | { error: string }): string {
  const kills = [describePlan(plan.run), ...plan.resumes.map((p) => `resume ${describePlan(p)}`)].join(", ");
  if ("error" in outcome) return `point ${index}: ${kills}: FAILED`;
  const r = outcome.report;
  return `point ${index}: ${kills}: ${r.kills} kills, first ${r.landed} (${r.entriesAtKill} entries), ${r.leftRunning} steps left running, ${r.extraRuns} in-window re-runs`;
}

function summarise(reports: readonly CrashReport[], seconds: number): string {
  const sum = (f: (r: CrashReport) => number) => reports.reduce((total, r) => total + f(r), 0);
  const landed = new Map<string, number>();
  for (const r of reports) landed.set(r.landed, (landed.get(r.landed) ?? 0) + 1);
  const where = [...landed.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${n} ${what}`)
    .join(", ");
  const entries = reports.filter((r) => r.entriesAtKill > 0).map((r) => r.entriesAtKill);
  return [
    `crash test: ${reports.length} points in ${seconds.toFixed(1)} s (seed ${seed})`,
    `  kills: ${sum((r) => r.kills)} (${sum((r) => r.resumeKills)} of them of a resume)`,
    `  first kill landed: ${where}`,
    `  entries at the first kill: ${entries.length === 0 ? "-" : `${Math.min(...entries)} to ${Math.max(...entries)} of ${baseline.entries}`}`,
    `  kills while a retry waited for its backoff: ${sum((r) => r.inBackoff)}`,
    `  sh steps left running by killed flow processes: ${sum((r) => r.leftRunning)}`,
    `  in-window double runs: ${sum((r) => r.inWindow)} steps (${sum((r) => r.extraRuns)} extra runs) in ${reports.filter((r) => r.inWindow > 0).length} points; out of the window: 0`,
    `  results read from flow status (killed after run.completed, before printing): ${reports.filter((r) => r.resultFrom === "status").length}`,
  ].join("\n");
}

/** Runs `work(0 … count-1)`, `width` at a time; every one runs to its end, failed or not. */
async function pool<T>(count: number, width: number, work: (index: number) => Promise<T>): Promise<({ report: T } | { error: string })[]> {
  const outcomes: ({ report: T } | { error: string })[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      try {
        outcomes[index] = { report: await work(index) };
      } catch (error) {
        outcomes[index] = { error: (error as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return outcomes;
}

function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  return readFileSync(path, "utf8").split("\n").length - 1;
}

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0, not \`${text}\``);
  return value;
}
