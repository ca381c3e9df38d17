/**
 * `node scripts/bench.mjs run`: the durable runtime, end to end, against
 * what users would pick instead (/work/shared/notes/peers.md). Targets
 * (issue 4):
 *
 * - throughput: 10,000 no-op vertices in a fan-out, on a SQLite file (WAL,
 *   synchronous=FULL) with the process sandbox, driven in-process by
 *   RunDriver, the program compiled beforehand: vertices/s, ≥ 5,000/s;
 *   beside DBOS (630 steps/s) and LangGraph on SQLite (~600 steps/s);
 * - replay of a 1,000,000-entry ledger (made by really running ~333,000
 *   no-op vertices, cached in bench/out/) with replayLedger from texts in
 *   memory and with `flow replay FILE`: entries/s, ≥ 200,000/s; beside
 *   Temporal's replayer (3,600–4,300 events/s);
 * - resume of a run killed (SIGKILL) after 100,000 entries: ms from
 *   opening the store to the first vertex dispatched again, ≤ 500 ms, with
 *   the default snapshots and without any; beside DBOS (3.7 s).
 *
 * Each measurement runs in a fresh process (children.ts), as the commands
 * do; the figures are medians, with the spread. Peak RSS is each child's.
 *
 * BENCH_SECTIONS=throughput,replay,resume picks sections; BENCH_VERTICES,
 * BENCH_ENTRIES, BENCH_RESUME_ENTRIES change the sizes; BENCH_PROFILE=1
 * adds one CPU-profiled run of each case (not in the medians), prints its
 * functions with the most self time and writes the .cpuprofile files to
 * bench/out/profiles/.
 */
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ledgerVersion } from "../../interpreter/ledger/entry.ts";
import { type ChildResult, type ChildTask, runChild } from "./children.ts";
import type { ProfileSummary } from "./profile.ts";

const self = fileURLToPath(import.meta.url);
const marker = "bench-run-result ";

if (process.argv[2] === "--child") {
  const result = await runChild(JSON.parse(process.argv[3]!) as ChildTask);
  process.stdout.write(`\n${marker}${JSON.stringify(result)}\n`);
  process.exit(0);
}

// The bundle lives in bench/out/: the project is two levels up from there too.
const root = fileURLToPath(new URL("../../", import.meta.url));
const outDir = join(root, "bench/out");
const profileDir = join(outDir, "profiles");
const sections = new Set((process.env["BENCH_SECTIONS"] ?? "throughput,replay,resume").split(","));
const profiling = process.env["BENCH_PROFILE"] === "1";
const vertices = Number(process.env["BENCH_VERTICES"] ?? 10_000);
const replayEntries = Number(process.env["BENCH_ENTRIES"] ?? 1_000_000);
const resumeEntries = Number(process.env["BENCH_RESUME_ENTRIES"] ?? 100_000);
mkdirSync(profileDir, { recursive: true });

/** The peers' figures (peers.md), per step or event. */
const peers = { dbos: 630, langGraphSqlite: 600, temporalReplay: [3_600, 4_300] as const, dbosResumeMs: 3_700 };

const peaks: [string, number][] = [];

/** The V8 options bin/flow starts flow with: each child is a fresh process as flow starts. */
const nodeFlags = readFileSync(join(root, "bin/node-flags"), "utf8").trim().split(/\s+/);

/** Runs a task in a fresh process; `spawnedAt` is when, on the clock of `performance.timeOrigin + performance.now()`. */
function child(task: ChildTask, expectKill = false): ChildResult & { readonly spawnedAt: number } {
  const spawnedAt = performance.timeOrigin + performance.now();
  const run = spawnSync(process.execPath, [...nodeFlags, self, "--child", JSON.stringify(task)], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (expectKill) {
    if (run.signal !== "SIGKILL")
      throw new Error(`${task.kind}: expected the child to be killed, it ended ${run.status} ${run.signal}\n${run.stderr}`);
    return { ms: 0, cpuMs: 0, count: 0, rssMb: 0, spawnedAt };
  }
  const line = run.stdout.split("\n").find((l) => l.startsWith(marker));
  if (run.status !== 0 || line === undefined)
    throw new Error(`${task.kind} failed (exit ${run.status} ${run.signal ?? ""}):\n${run.stdout}\n${run.stderr}`);
  return { ...(JSON.parse(line.slice(marker.length)) as ChildResult), spawnedAt };
}

function repeat(times: number, task: ChildTask, before?: () => void): (ChildResult & { readonly spawnedAt: number })[] {
  return Array.from({ length: times }, () => {
    before?.();
    return child(task);
  });
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const int = (n: number) => Math.round(n).toLocaleString("en");
const times = (ratio: number) => `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;
const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");

/** Rates of each result (count per second): median and spread, and the median per CPU-second. */
function rates(results: readonly ChildResult[]): { median: number; low: number; high: number; perCpu: number } {
  const r = results.map((x) => (x.count * 1000) / x.ms);
  return {
    median: median(r),
    low: Math.min(...r),
    high: Math.max(...r),
    perCpu: median(results.map((x) => (x.count * 1000) / x.cpuMs)),
  };
}

function peak(label: string, results: readonly ChildResult[]): number {
  const mb = Math.max(...results.map((r) => r.rssMb));
  peaks.push([label, mb]);
  return mb;
}

function printProfile(label: string, task: ChildTask, name: string, before?: () => void): void {
  if (!profiling) return;
  const file = join(profileDir, `${name}.cpuprofile`);
  before?.();
  const result = child({ ...task, profile: file } as ChildTask);
  const summary = result.profile as ProfileSummary;
  console.log(
    `\n  profile of ${label}: ${int(summary.totalMs)} ms sampled (${int(result.ms)} ms timed), bench/out/profiles/${name}.cpuprofile; self time:`,
  );
  for (const f of summary.top.slice(0, 20)) {
    console.log(
      `    ${int(f.selfMs).padStart(6)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}${f.where === "" ? "" : `  ${f.where}`}`,
    );
  }
}

console.log(
  `bench/run on ${process.platform} ${process.arch}, ${cpus().length} cores, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}; ` +
    `every figure a median of fresh processes (spread low–high)`,
);

// ── throughput ──
if (sections.has("throughput")) {
  console.log(
    `\nthroughput: ${int(vertices)} no-op vertices in a fan-out, SQLite file (WAL, synchronous=FULL), process sandbox, RunDriver in-process`,
  );
  const floorResults = repeat(3, { kind: "floor", commits: 1_000 });
  const floorMs = median(floorResults.map((r) => r.ms / r.count));
  const variants: { fanOut: number | null; concurrency: number; reps: number; main?: true }[] = [
    { fanOut: 64, concurrency: 64, reps: 5, main: true },
    { fanOut: 64, concurrency: 16, reps: 3 },
    { fanOut: 256, concurrency: 256, reps: 3 },
    { fanOut: null, concurrency: 1_024, reps: 3 },
  ];
  for (const v of variants) {
    const task: ChildTask = { kind: "throughput", vertices, fanOut: v.fanOut, concurrency: v.concurrency };
    const results = repeat(v.reps, task);
    const { median: rate, low, high, perCpu } = rates(results);
    const d = (key: string) => median(results.map((r) => Number(r.detail?.[key])));
    const label = `fan-out ${v.fanOut === null ? "unlimited" : `concurrency ${v.fanOut}`}, run concurrency ${v.concurrency}${v.concurrency === 16 ? " (the default)" : ""}`;
    console.log(`  ${label}, median of ${v.reps}:`);
    console.log(
      `    ${int(rate)} vertices/s (${int(low)}–${int(high)}); target ≥ 5,000: ${verdict(rate >= 5_000)} (${times(rate / 5_000)} target); ` +
        `${times(rate / peers.dbos)} DBOS (630 steps/s), ${times(rate / peers.langGraphSqlite)} LangGraph on SQLite (~600 steps/s)`,
    );
    console.log(
      `    ${int(median(results.map((r) => r.ms)))} ms, CPU ${int(median(results.map((r) => r.cpuMs)))} ms (${int(perCpu)} vertices per CPU-second); ${int(d("entries"))} entries in ${int(d("commits"))} commits (${int(d("batch"))} a commit), ` +
        `awaiting store.append ${int(d("appendMs"))} ms of it (at most: other work runs during its awaits); peak RSS ${int(peak(`throughput ${label}`, results))} MB`,
    );
    if (v.main) printProfile(`throughput (${label})`, task, "throughput");
  }
  console.log(
    `  this machine's floor: ${floorMs.toFixed(2)} ms a durable commit (one row through better-sqlite3, median of 3 × 1,000; peers.md's machine: 0.15 ms)`,
  );
}

// ── replay ──
if (sections.has("replay")) {
  const replayVertices = Math.max(1, Math.ceil((replayEntries - 3) / 3));
  // run.started, fanout.expanded, three entries a vertex, run.completed.
  const total = replayVertices * 3 + 3;
  const file = join(outDir, `run-ledger-${replayVertices}.jsonl`);
  const metaFile = `${file}.meta.json`;
  console.log(
    `\nreplay: a ledger of ${int(total)} entries (${int(replayVertices)} no-op vertices really run on the memory store, ${file.slice(root.length)})`,
  );
  const generate = () => {
    const result = child({ kind: "generate", vertices: replayVertices, file });
    writeFileSync(
      metaFile,
      `${JSON.stringify({ entries: result.count, vertices: replayVertices, ledgerVersion, generatedMs: Math.round(result.ms), rssMb: Math.round(result.rssMb) }, null, 2)}\n`,
    );
    peaks.push(["generating the replay ledger", result.rssMb]);
  };
  let cached =
    existsSync(file) &&
    existsSync(metaFile) &&
    (JSON.parse(readFileSync(metaFile, "utf8")) as { ledgerVersion: number }).ledgerVersion === ledgerVersion;
  if (!cached) generate();
  const meta = JSON.parse(readFileSync(metaFile, "utf8")) as { entries: number; generatedMs: number; rssMb: number };
  console.log(
    `  ${cached ? "cached; it took" : "generated in"} ${(meta.generatedMs / 1000).toFixed(0)} s (${int((meta.entries * 1000) / meta.generatedMs)} entries/s, peak RSS ${int(meta.rssMb)} MB)`,
  );
  let first: ChildResult;
  try {
    first = child({ kind: "replay-memory", file });
  } catch (error) {
    // A ledger cached by an earlier version of the interpreter may no longer replay: made again, it must.
    if (!cached) throw error;
    console.log(`  the cached ledger does not replay (${(error as Error).message.split("\n")[0]}): generating it again`);
    generate();
    cached = false;
    first = child({ kind: "replay-memory", file });
  }
  const cases: { label: string; kind: "replay-memory" | "replay-file"; name: string }[] = [
    { label: "replayLedger over the texts in memory", kind: "replay-memory", name: "replay-memory" },
    { label: "`flow replay FILE` (the command's code, reading the file included)", kind: "replay-file", name: "replay-file" },
  ];
  for (const c of cases) {
    const results =
      c.kind === "replay-memory" ? [first, ...repeat(2, { kind: c.kind, file })] : repeat(3, { kind: c.kind, file });
    const { median: rate, low, high, perCpu } = rates(results);
    console.log(`  ${c.label}, median of 3:`);
    console.log(
      `    ${int(rate)} entries/s (${int(low)}–${int(high)}), ${(median(results.map((r) => r.ms)) / 1000).toFixed(1)} s; target ≥ 200,000: ${verdict(rate >= 200_000)} (${times(rate / 200_000)} target); ` +
        `${times(rate / peers.temporalReplay[1])}–${times(rate / peers.temporalReplay[0])} Temporal's replayer (3,600–4,300 events/s)`,
    );
    const perMainCpu = median(results.map((r) => (r.count * 1000) / Number(r.detail?.["mainCpuMs"])));
    console.log(
      `    ${int(perCpu)} entries per CPU-second of the process, ${Number.isNaN(perMainCpu) ? "?" : int(perMainCpu)} per CPU-second of its main thread; peak RSS ${int(peak(`replay: ${c.name}`, results))} MB`,
    );
    const waits = results.map((r) => Number(r.detail?.["verdictWaitMs"]));
    if (waits.every((w) => !Number.isNaN(w))) console.log(`    waiting for the chain check's verdict after the last entry: ${int(median(waits))} ms (median; at most ${int(Math.max(...waits))})`);
    printProfile(c.label, { kind: c.kind, file }, c.name);
  }
}

// ── resume ──
if (sections.has("resume")) {
  console.log(
    `\nresume: a run killed (SIGKILL) once ${int(resumeEntries)} entries are durable on a SQLite file, with attempts in flight; ms from opening the store to the first vertex dispatched again`,
  );
  const work = mkdtempSync(join(tmpdir(), "flow-bench-resume-"));
  try {
    for (const snapshots of [true, false]) {
      const pristine = join(work, snapshots ? "with" : "without");
      const db = join(pristine, "flow.db");
      child({ kind: "resume-prepare", vertices: Math.ceil(resumeEntries / 2), killAt: resumeEntries, db, snapshots }, true);
      const inspect = new Database(db, { readonly: true });
      const run = (inspect.prepare("select id from runs").get() as { id: string }).id;
      const head = (inspect.prepare("select max(seq) as seq from entries").get() as { seq: number }).seq;
      const snapshot = (inspect.prepare("select max(seq) as seq from snapshots").get() as { seq: number | null }).seq;
      inspect.close();
      const copy = join(work, "copy");
      const fresh = () => {
        rmSync(copy, { recursive: true, force: true });
        mkdirSync(copy);
        for (const suffix of ["", "-wal", "-shm"])
          if (existsSync(db + suffix)) copyFileSync(db + suffix, join(copy, `flow.db${suffix}`));
      };
      const task: ChildTask = { kind: "resume", db: join(copy, "flow.db"), run };
      const results = repeat(5, task, fresh);
      const ms = median(results.map((r) => r.ms));
      const label = snapshots ? "with snapshots (every 10,000 entries, the default)" : "without snapshots (every entry folded)";
      console.log(
        `  ${label}: ${int(head + 1)} entries, ${snapshot === null ? "no snapshot" : `latest snapshot at seq ${int(snapshot)}, a tail of ${int(head - snapshot)}`}; median of 5:`,
      );
      console.log(
        `    ${int(ms)} ms (${int(Math.min(...results.map((r) => r.ms)))}–${int(Math.max(...results.map((r) => r.ms)))}); target ≤ 500 ms: ${verdict(ms <= 500)}; ` +
          `${times(peers.dbosResumeMs / ms)} DBOS's speed (3.7 s to its first new step)`,
      );
      const fromSpawn = median(results.map((r) => Number(r.detail?.["firstDispatchAt"]) - r.spawnedAt));
      const detail = (key: string) => int(median(results.map((r) => Number(r.detail?.[key]))));
      console.log(
        `    CPU ${int(median(results.map((r) => r.cpuMs)))} ms; opening the store ${detail("openMs")} ms of it; from spawning the process ${int(fromSpawn)} ms ` +
          `(loading the benchmark's bundle included); peak RSS ${int(peak(`resume ${snapshots ? "with" : "without"} snapshots`, results))} MB`,
      );
      printProfile(`resume ${label}`, task, `resume-${snapshots ? "with" : "without"}-snapshots`, fresh);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

console.log(`\npeak RSS (largest child of each case): ${peaks.map(([label, mb]) => `${label} ${int(mb)} MB`).join("; ")}`);
