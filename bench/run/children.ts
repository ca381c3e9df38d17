import Database from "better-sqlite3";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replay } from "../../cli/commands/replay.ts";
import { filePages } from "../../cli/ledger-pages.ts";
import type { Sealed } from "../../interpreter/core/advance.ts";
import type { Draft } from "../../interpreter/ledger/entry.ts";
import { RunDriver, type DriverOptions } from "../../interpreter/host/run-driver.ts";
import { ChainCheck, type ChainVerdict } from "../../interpreter/ledger/chain-check.ts";
import { replayLedger } from "../../interpreter/replay.ts";
import { processDriver } from "../../interpreter/sandbox/process.ts";
import { Sandboxes } from "../../interpreter/sandbox/sandboxes.ts";
import { openMemoryStore } from "../../interpreter/store/memory-store.ts";
import { openSqliteStore } from "../../interpreter/store/sqlite-store.ts";
import type { Store } from "../../interpreter/store/store.ts";
import { items, noopProgram } from "./program.ts";
import { type ProfileSummary, startProfiler } from "./profile.ts";

/**
 * What each child process of the benchmark does: one measurement in a
 * fresh process (a fresh heap and JIT, as `flow run`, `flow replay` and
 * `flow resume` start), reported as one JSON line. With `profile`, the
 * timed stretch is also CPU-profiled (a separate run, left out of the
 * medians: the profiler costs time).
 */
export type ChildTask =
  | {
      readonly kind: "throughput";
      readonly vertices: number;
      readonly fanOut: number | null;
      readonly concurrency: number;
      readonly profile?: string;
    }
  | { readonly kind: "floor"; readonly commits: number }
  | { readonly kind: "generate"; readonly vertices: number; readonly file: string }
  | { readonly kind: "replay-memory"; readonly file: string; readonly profile?: string }
  | { readonly kind: "replay-file"; readonly file: string; readonly profile?: string }
  | {
      readonly kind: "resume-prepare";
      readonly vertices: number;
      readonly killAt: number;
      readonly db: string;
      readonly snapshots: boolean;
    }
  | { readonly kind: "resume"; readonly db: string; readonly run: string; readonly profile?: string };

export interface ChildResult {
  readonly ms: number;
  /** CPU time (user + system) of the same stretch: on a busy machine, wall time counts other processes' turns too. */
  readonly cpuMs: number;
  /** Vertices, entries: what `ms` is the time of. */
  readonly count: number;
  /** Peak resident set of the child, MB. */
  readonly rssMb: number;
  readonly detail?: Record<string, number | string>;
  readonly profile?: ProfileSummary;
}

export async function runChild(task: ChildTask): Promise<ChildResult> {
  switch (task.kind) {
    case "throughput":
      return throughput(task);
    case "floor":
      return floor(task.commits);
    case "generate":
      return generate(task.vertices, task.file);
    case "replay-memory":
      return replayMemory(task.file, task.profile);
    case "replay-file":
      return replayFile(task.file, task.profile);
    case "resume-prepare":
      return resumePrepare(task.vertices, task.killAt, task.db, task.snapshots);
    case "resume":
      return resume(task.db, task.run, task.profile);
  }
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;
const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

/**
 * The main thread's CPU time so far, ms (Linux: its /proc stat, in clock ticks of 10 ms), or NaN elsewhere. Replay
 * hashes on a worker and the collector has helper threads: on a busy machine the main thread's time is the figure
 * that says what the code costs, where the process's adds theirs and the wall time adds other processes' turns.
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function driverOptions(
  store: Store,
  workRoot: string,
  onEntries: (sealed: readonly Sealed[]) => void,
  snapshots = true,
): DriverOptions {
  return {
    store,
    sandboxes: Sandboxes.only(processDriver),
    workRoot,
    clock: () => Date.now(),
    onEntries,
    ...(snapshots ? {} : { snapshotEvery: { entries: Number.POSITIVE_INFINITY, ms: Number.POSITIVE_INFINITY } }),
  };
}

/** The first entry of the no-op fan-out over `vertices` items, its program compiled: what `flow run` records first. */
function noopStart(vertices: number, fanOut: number | null, concurrency: number): Draft & { kind: "run.started" } {
  const { ir, hash } = noopProgram(vertices, fanOut);
  return {
    kind: "run.started",
    at: Date.now(),
    data: { irHash: hash, ir, workflow: "main", args: { ns: items(vertices) }, seed: "0".repeat(64), options: { concurrency } },
  };
}

/** The store with its appends counted and timed: how many durable commits the run made, and how long the driver awaited them (an upper bound of their cost: whatever else is ready runs during their awaits). */
function countingStore(store: Store): {
  readonly store: Store;
  readonly appends: { commits: number; entries: number; ms: number };
} {
  const appends = { commits: 0, entries: 0, ms: 0 };
  const counted = new Proxy(store, {
    get(target, key) {
      if (key === "append") {
        return async (...args: Parameters<Store["append"]>) => {
          const t0 = performance.now();
          await target.append(...args);
          appends.ms += performance.now() - t0;
          appends.commits++;
          appends.entries += args[1].length;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: counted, appends };
}

/** 10,000 no-op vertices on a SQLite file: the time from RunDriver.start to the end of drive(), store already open, program compiled. */
async function throughput(task: Extract<ChildTask, { kind: "throughput" }>): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), "flow-bench-run-"));
  try {
    const sqlite = await openSqliteStore(join(dir, "flow.db"));
    const { store, appends } = countingStore(sqlite);
    const first = noopStart(task.vertices, task.fanOut, task.concurrency);
    let entries = 0;
    const options = driverOptions(store, join(dir, "work"), (sealed) => (entries += sealed.length));
    const profiler = task.profile === undefined ? null : await startProfiler();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const driver = await RunDriver.start(options, first, "main.flow");
    const outcome = await driver.drive();
    const ms = performance.now() - t0;
    const cpuMs = cpuSince(cpu0);
    const profile = profiler === null ? undefined : await profiler.stop(task.profile!);
    const result = driver.core.state.result;
    if (outcome !== "completed" || !Array.isArray(result) || result.length !== task.vertices)
      throw new Error(`the run ended ${outcome}, with ${JSON.stringify(result)?.slice(0, 80)}`);
    await sqlite.close();
    return {
      ms,
      cpuMs,
      count: task.vertices,
      rssMb: rssMb(),
      detail: { entries, commits: appends.commits, appendMs: appends.ms, batch: appends.entries / appends.commits },
      ...(profile === undefined ? {} : { profile }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a durable commit costs on this machine: one ~300-byte row per transaction straight through better-sqlite3 (WAL, FULL). */
function floor(commits: number): ChildResult {
  const dir = mkdtempSync(join(tmpdir(), "flow-bench-floor-"));
  try {
    const db = new Database(join(dir, "floor.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("create table t (seq integer primary key, text text not null)");
    const insert = db.prepare("insert into t (text) values (?)");
    const text = "x".repeat(300);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < commits; i++) insert.run(text);
    const ms = performance.now() - t0;
    const cpuMs = cpuSince(cpu0);
    db.close();
    return { ms, cpuMs, count: commits, rssMb: rssMb() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Really runs `vertices` no-op vertices on the memory store and writes the ledger as `flow export` does: one entry a line. */
async function generate(vertices: number, file: string): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), "flow-bench-gen-"));
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  let entries = 0;
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // No snapshots: the memory store would only keep them, and each costs the whole state serialised.
    const options = driverOptions(
      openMemoryStore(),
      join(dir, "work"),
      (sealed) => {
        entries += sealed.length;
        out.write(sealed.map((s) => `${s.text}\n`).join(""));
      },
      false,
    );
    const driver = await RunDriver.start(options, noopStart(vertices, 64, 64), "main.flow");
    const outcome = await driver.drive();
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const ms = performance.now() - t0;
    const cpuMs = cpuSince(cpu0);
    if (outcome !== "completed") throw new Error(`the generating run ended ${outcome}`);
    renameSync(partial, file);
    return { ms, cpuMs, count: entries, rssMb: rssMb() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

/** replayLedger over the entries' texts already in memory (read and split outside the timing). */
/**
 * The chain check, timing how long replay waits for its verdict once it has read the last text: what the chain
 * check's worker has not yet hashed by then (were it behind replay, this would be the time it costs replay).
 */
class TimedChainCheck extends ChainCheck {
  waitMs = 0;
  override async finish(): Promise<ChainVerdict> {
    const t0 = performance.now();
    try {
      return await super.finish();
    } finally {
      this.waitMs = performance.now() - t0;
    }
  }
}

async function replayMemory(file: string, profilePath: string | undefined): Promise<ChildResult> {
  // Each text a string of its own, as a store's rows and `flow replay FILE`'s reader hand them, read before the clock
  // starts. (The file decoded whole and split made every text a slice of one string of 319 MB, and of two bytes a
  // character, since the first entry quotes one character outside ASCII: 785 MB at its peak, and every comparison
  // with a produced entry across two widths. No way of reading a ledger makes such texts.)
  const texts: string[] = [];
  for await (const page of filePages(file)) for (const text of page) texts.push(text);
  const profiler = profilePath === undefined ? null : await startProfiler();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const chain = new TimedChainCheck();
  const verdict = await replayLedger(texts, chain);
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(cpu0);
  const mainCpuMs = mainThreadCpuMs() - main0;
  const profile = profiler === null ? undefined : await profiler.stop(profilePath!);
  if (verdict.kind !== "identical" || verdict.entries !== texts.length)
    throw new Error(`replay: ${JSON.stringify(verdict).slice(0, 400)}`);
  return { ms, cpuMs, count: verdict.entries, rssMb: rssMb(), detail: { mainCpuMs, verdictWaitMs: chain.waitMs }, ...(profile === undefined ? {} : { profile }) };
}

/** `flow replay FILE`, the command's own code (reading the file a line at a time included). */
async function replayFile(file: string, profilePath: string | undefined): Promise<ChildResult> {
  let said = "";
  const io = { out: (text: string) => (said += text), err: (text: string) => (said += text), colorOut: false, colorErr: false };
  const profiler = profilePath === undefined ? null : await startProfiler();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const code = await replay({ target: file, store: undefined, json: false }, io);
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(cpu0);
  const mainCpuMs = mainThreadCpuMs() - main0;
  const profile = profiler === null ? undefined : await profiler.stop(profilePath!);
  const entries = /identical: (\d+) entries/.exec(said);
  if (code !== 0 || entries === null) throw new Error(`flow replay: exit ${code}: ${said.slice(0, 400)}`);
  return { ms, cpuMs, count: Number(entries[1]), rssMb: rssMb(), detail: { mainCpuMs }, ...(profile === undefined ? {} : { profile }) };
}

/**
 * Runs the no-op fan-out on a SQLite file (with snapshots at their
 * default, every 10,000 entries, or none) and kills this process with SIGKILL as soon as
 * `killAt` entries are durable: a crash in the middle of a run, with
 * attempts in flight. Never returns.
 */
async function resumePrepare(vertices: number, killAt: number, db: string, snapshots: boolean): Promise<ChildResult> {
  mkdirSync(join(db, ".."), { recursive: true });
  const store = await openSqliteStore(db);
  let entries = 0;
  const options = driverOptions(
    store,
    join(db, "../work"),
    (sealed) => {
      entries += sealed.length;
      if (entries >= killAt) process.kill(process.pid, "SIGKILL");
    },
    snapshots,
  );
  const driver = await RunDriver.start(options, noopStart(vertices, 64, 64), "main.flow");
  await driver.drive();
  throw new Error(`the run ended after ${entries} entries, before ${killAt}`);
}

/**
 * `flow resume` of the killed run, in a fresh process: from opening the
 * store to the first vertex dispatched again (the first `vertex.scheduled`
 * after `run.resumed`, durable, handed to onEntries just before it is acted
 * on). The run is then left where it is.
 */
async function resume(db: string, run: string, profilePath: string | undefined): Promise<ChildResult> {
  const profiler = profilePath === undefined ? null : await startProfiler();
  let resumedAt = -1;
  let firstDispatch = -1;
  let firstSeq = -1;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const store = await openSqliteStore(db);
  const opened = performance.now();
  const options = driverOptions(store, join(db, "../work"), (sealed) => {
    for (const { entry } of sealed) {
      if (entry.kind === "run.resumed") resumedAt = entry.seq;
      else if (entry.kind === "vertex.scheduled" && resumedAt >= 0 && firstDispatch < 0) {
        firstDispatch = performance.now();
        firstSeq = entry.seq;
      }
    }
  });
  const driver = await RunDriver.resume(options, run);
  const returned = performance.now();
  const cpuMs = cpuSince(cpu0);
  const profile = profiler === null ? undefined : await profiler.stop(profilePath!);
  if (firstDispatch < 0) throw new Error("resume dispatched nothing");
  driver.stop();
  return {
    ms: firstDispatch - t0,
    cpuMs,
    count: resumedAt,
    rssMb: rssMb(),
    // On the clock the parent reads too: the time from spawning this process, module loading included.
    detail: {
      openMs: opened - t0,
      resumeReturnedMs: returned - t0,
      firstSeq,
      firstDispatchAt: performance.timeOrigin + firstDispatch,
    },
    ...(profile === undefined ? {} : { profile }),
  };
}
