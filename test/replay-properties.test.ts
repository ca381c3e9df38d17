import fc from "fast-check";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { irHash } from "../compiler/ir/hash.ts";
import type { Sealed } from "../interpreter/core/advance.ts";
import { RunDriver } from "../interpreter/host/run-driver.ts";
import type { Entry, Json } from "../interpreter/ledger/entry.ts";
import { processDriver } from "../interpreter/sandbox/process.ts";
import { Sandboxes } from "../interpreter/sandbox/sandboxes.ts";
import { replayLedger } from "../interpreter/replay.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { openSqliteStore } from "../interpreter/store/sqlite-store.ts";
import type { Store } from "../interpreter/store/store.ts";
import { drivePiecewise, foldStates, parseLedger, type Piecewise, restoredState } from "./support/interrupted-run.ts";
import {
  arbitraryProgram,
  type Prediction,
  predict,
  programArgs,
  programText,
  type RandomProgram,
  workflowName,
} from "./support/random-flow.ts";
import { compileText, runProgram } from "./support/run-program.ts";

/**
 * ARCHITECTURE.md's property tests of the interpreter: random DAG programs
 * whose steps sleep random few ms (so completions arrive in random orders)
 * always replay byte for byte, on the memory store and on SQLite; they end
 * as a sequential reading of the program says (test/support/random-flow.ts);
 * and a run stopped at random points and resumed, from the whole ledger or
 * from snapshots, reaches the same end with a ledger that replays.
 *
 * Seeded and repeatable: the seed is printed; FLOW_REPLAY_SEED=N repeats a
 * run, FLOW_REPLAY_RUNS=N changes how many programs each property tries,
 * FLOW_REPLAY_SHRINK=1 shrinks a counterexample (each try runs programs,
 * so it is off by default; the failing program's text is in the message).
 */

const seed = Number(process.env["FLOW_REPLAY_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env["FLOW_REPLAY_RUNS"] ?? 12);
const settings = { seed, numRuns: runs, endOnFailure: process.env["FLOW_REPLAY_SHRINK"] !== "1" };
const runnable = arbitraryProgram;
console.log(`replay properties: seed ${seed}, ${runs} programs per property (FLOW_REPLAY_SEED=${seed} repeats them)`);

type StoreKind = "memory" | "sqlite";

/** A store opener for a fresh run: the one memory store each time, or the SQLite file opened anew (as another process would). */
function storeFor(kind: StoreKind, dir: string): () => Promise<Store> {
  if (kind === "memory") {
    const store = openMemoryStore();
    return async () => store;
  }
  const path = join(dir, "flow.db");
  return () => openSqliteStore(path);
}

interface Scratch {
  readonly dir: string;
  readonly marker: string;
}

/** A temp directory for the store and, inside it, an empty marker directory for the flaky nodes. */
function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), "flow-replay-props-"));
  const marker = join(dir, "markers");
  mkdirSync(marker);
  return { dir, marker };
}

async function runIt(program: RandomProgram, kind: StoreKind, scratchDir: Scratch, extra: { stopAt?: number[]; snapshotEvery?: { entries: number; ms: number } } = {}): Promise<Piecewise> {
  const ir = compileText(programText(program));
  return drivePiecewise(storeFor(kind, scratchDir.dir), {
    ir,
    workflow: workflowName,
    args: programArgs(program, scratchDir.marker),
    concurrency: program.concurrency,
    ...extra,
  });
}

/** How the run ended, from its ledger: the result of `run.completed`, or `failed`. */
function ending(entries: readonly Entry[]): Prediction {
  const last = entries.at(-1);
  if (last?.kind === "run.completed") return { outcome: "completed", result: last.data.result as number[] };
  if (last?.kind === "run.failed") return { outcome: "failed" };
  throw new Error(`the ledger ends with ${last?.kind ?? "nothing"}, not the run's end`);
}

/** Everything that must hold of any one finished run: replay, the oracle, the fold. */
async function checkRun(program: RandomProgram, run: Piecewise): Promise<Entry[]> {
  const entries = parseLedger(run.texts);
  // The ledger the store keeps is the one the driver announced, byte for byte.
  expect(run.told.map((s) => s.text)).toEqual(run.texts);
  // The status replay ends in is the one the run ended in (a finished run: the outcome its driver said).
  expect(await replayLedger(run.texts)).toEqual({ kind: "identical", entries: run.texts.length, head: entries.at(-1)?.hash, status: run.outcome });
  expect(run.outcome).toBe(predict(program).outcome);
  expect(ending(entries)).toEqual(predict(program));
  // The live state is the fold of the ledger; every snapshot is the fold up to its seq, and restoring it then folding the rest is the whole fold.
  // (Compared as values: a snapshot's text is JSON.stringify, whose key order follows how each object was built.)
  const folded = foldStates(entries, new Set(run.snapshots.map((s) => s.seq)));
  const last = JSON.parse(folded.last) as unknown;
  expect(JSON.parse(run.finalState)).toEqual(last);
  for (const snapshot of run.snapshots) {
    expect(JSON.parse(snapshot.text), `snapshot at seq ${snapshot.seq}`).toEqual(JSON.parse(folded.at.get(snapshot.seq) ?? "null"));
    expect(JSON.parse(restoredState(entries, snapshot)), `restored from seq ${snapshot.seq}`).toEqual(last);
  }
  return entries;
}

/** Runs the property body with the program's text and arguments in any failure's message. */
async function explained<T>(program: RandomProgram, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const e = error as Error;
    e.message = `${e.message}\n\nprogram (xs = ${JSON.stringify(program.xs)}, k = ${program.k}, concurrency ${program.concurrency}; expected ${JSON.stringify(predict(program))}):\n${programText(program)}`;
    throw e;
  }
}

function explainedSync<T>(program: RandomProgram, body: () => T): T {
  try {
    return body();
  } catch (error) {
    const e = error as Error;
    e.message = `${e.message}\n\nprogram:\n${programText(program)}`;
    throw e;
  }
}

/** Per vertex instance, the arguments of its first scheduling and the result it completed with. */
function perInstance(entries: readonly Entry[]): { args: Map<string, Json>; results: Map<string, Json> } {
  const args = new Map<string, Json>();
  const results = new Map<string, Json>();
  for (const e of entries) {
    if (e.kind === "vertex.scheduled" && !args.has(e.vertex)) args.set(e.vertex, e.data.args);
    if (e.kind === "vertex.completed") results.set(e.vertex, e.data.result);
  }
  return { args, results };
}

function expectAgreeOnCommon(a: Map<string, Json>, b: Map<string, Json>, what: string): void {
  for (const [key, value] of a) if (b.has(key)) expect(b.get(key), `${what} of ${key}`).toEqual(value);
}

describe("random programs (fast-check)", () => {
  it("compile, and the oracle's outcomes are mixed", () => {
    // The generator's own health: every program compiles, and both outcomes occur.
    const outcomes = { completed: 0, failed: 0 };
    fc.assert(
      fc.property(runnable, (program) => {
        explainedSync(program, () => compileText(programText(program)));
        outcomes[predict(program).outcome]++;
      }),
      { seed, numRuns: 60 },
    );
    expect(outcomes.completed).toBeGreaterThan(20);
    expect(outcomes.failed).toBeGreaterThan(3);
  });

  it("replay byte for byte on the memory store and on SQLite, end as the oracle predicts, and agree with each other", async () => {
    await fc.assert(
      fc.asyncProperty(runnable, (program) =>
        explained(program, async () => {
          const place = scratch();
          try {
            const onMemory = await runIt(program, "memory", place);
            // The same marker directory, emptied: the second run's arguments are the first's.
            rmSync(place.marker, { recursive: true, force: true });
            mkdirSync(place.marker);
            const onSqlite = await runIt(program, "sqlite", place);
            const a = await checkRun(program, onMemory);
            const b = await checkRun(program, onSqlite);
            // Two runs of one program: the same inputs (only the time and the run id differ) and the same end.
            const { at: _a, run: _ra, hash: _ha, ...startA } = a[0]!;
            const { at: _b, run: _rb, hash: _hb, ...startB } = b[0]!;
            expect(startB).toEqual(startA);
            expect(ending(b)).toEqual(ending(a));
            // Whichever instances both scheduled got the same arguments, and those both completed the same results.
            const ia = perInstance(a);
            const ib = perInstance(b);
            expectAgreeOnCommon(ia.args, ib.args, "arguments");
            expectAgreeOnCommon(ia.results, ib.results, "result");
          } finally {
            rmSync(place.dir, { recursive: true, force: true });
          }
        }),
      ),
      settings,
    );
  });
});

describe("stopped and resumed at random points (fast-check)", () => {
  /** Stop points as fractions of an uninterrupted run's ledger, 1 to 3 of them. */
  const stops = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3 });
  const kinds = fc.constantFrom<StoreKind>("memory", "sqlite");
  /** Each try runs the program twice (whole, then in pieces): fewer tries than above. */
  const resumeSettings = { ...settings, numRuns: Math.max(1, Math.round(runs * 0.75)) };
  let resumedFromSnapshots = 0;

  const resumes = (snapshotEvery?: { entries: number; ms: number }) =>
    fc.asyncProperty(runnable, stops, kinds, (program, fractions, kind) =>
      explained(program, async () => {
        const place = scratch();
        try {
          const whole = await runIt(program, kind, place);
          await checkRun(program, whole);
          const length = whole.texts.length;
          const stopAt = fractions.map((f) => 1 + Math.floor(f * (length - 1)));
          const again = scratch();
          try {
            const pieces = await runIt(program, kind, again, { stopAt, ...(snapshotEvery === undefined ? {} : { snapshotEvery }) });
            const entries = await checkRun(program, pieces);
            expect(ending(entries)).toEqual(ending(parseLedger(whole.texts)));
            // Each stop was followed by a resume that took the run over (and recorded so), unless the run had ended by then.
            const resumed = entries.filter((e) => e.kind === "run.resumed").length;
            expect(resumed).toBe(pieces.pieces - 1 - pieces.resumedEnded);
            // Each resume starts from the latest snapshot saved before it, if any.
            for (const resume of pieces.resumedFrom) expect(resume.read).toBe(resume.latestSaved);
            if (snapshotEvery !== undefined) {
              // Some driver recorded `entries` entries or more (the first entry aside, each wrote at most `entries - 1` otherwise): it saved a snapshot.
              if (pieces.texts.length - 1 >= (snapshotEvery.entries - 1) * pieces.pieces + 1) expect(pieces.snapshots.length).toBeGreaterThan(0);
              resumedFromSnapshots += pieces.resumedFrom.filter((r) => r.read !== null).length;
            } else {
              expect(pieces.snapshots).toEqual([]);
            }
          } finally {
            rmSync(again.dir, { recursive: true, force: true });
          }
        } finally {
          rmSync(place.dir, { recursive: true, force: true });
        }
      }),
    );

  it("folding the whole ledger: the same end as an uninterrupted run, and the resumed ledger replays", async () => {
    await fc.assert(resumes(), resumeSettings);
  });

  it("from snapshots every 5 entries: the same, and a restored snapshot plus its tail is the fold", async () => {
    await fc.assert(resumes({ entries: 5, ms: 1e9 }), resumeSettings);
    console.log(`replay properties: ${resumedFromSnapshots} resumes started from a snapshot`);
  });

  it("a resume after a snapshot reads it and only the entries after it (an example)", async () => {
    const program = compileText(`
import { sh } from "std/sandbox"
import { trim } from "std/text"
node twice(n: int) -> int
  effects { proc }
  budget  { compute: 10s }
{
  return trim(sh("sleep 0.00\${n as string}; echo \${(n * 2) as string}").stdout) as int
}
workflow main(ns: List<int, max 8>) -> List<int>
  budget { compute: 1m }
  grants { proc }
{
  return for n in ns concurrency 3 { twice(n) }
}`);
    const place = scratch();
    try {
      const options = { ir: program, workflow: "main", args: { ns: [5, 1, 4, 2, 3, 1] }, concurrency: 8, snapshotEvery: { entries: 5, ms: 1e9 } };
      const pieces = await drivePiecewise(storeFor("sqlite", place.dir), { ...options, stopAt: [14] });
      expect(pieces.outcome).toBe("completed");
      expect(pieces.pieces).toBe(2);
      expect(pieces.resumedFrom).toHaveLength(1);
      expect(pieces.resumedFrom[0]?.read).not.toBeNull();
      expect(pieces.resumedFrom[0]?.read).toBe(pieces.resumedFrom[0]?.latestSaved);
      const entries = parseLedger(pieces.texts);
      expect(await replayLedger(pieces.texts)).toEqual({ kind: "identical", entries: entries.length, head: entries.at(-1)?.hash, status: "completed" });
      expect(ending(entries)).toEqual({ outcome: "completed", result: [10, 2, 8, 4, 6, 2] });
      const folded = foldStates(entries, new Set(pieces.snapshots.map((s) => s.seq)));
      for (const snapshot of pieces.snapshots) expect(JSON.parse(restoredState(entries, snapshot))).toEqual(JSON.parse(folded.last));
    } finally {
      rmSync(place.dir, { recursive: true, force: true });
    }
  });
});

/**
 * Bugs these properties found, each pinned down by the smallest program
 * that showed it: a fan-out without `tolerate` whose failed item was
 * forgotten by the next pass (the run parked, or completed without it),
 * an attempt started after `stop()`, a run stopped as it ended.
 */
describe("regressions", () => {
  const check = `
import { sh } from "std/sandbox"
import { len } from "std/list"
node check(n: int) -> int
  budget { compute: 1s }
{
  if n > 3 {
    fail Failed("too big")
  }
  return n
}
node slow() -> int
  effects { proc }
  budget  { compute: 10s }
{
  sh("sleep 0.3")
  return 1
}
`;

  it("a fan-out without `tolerate` whose item fails before later items begin fails the run (it parks)", async () => {
    const ir = compileText(`${check}
workflow main(ns: List<int, max 10>) -> List<int>
  budget { compute: 1m }
  grants { }
{
  return for n in ns concurrency 1 { check(n) }
}`);
    const { outcome } = await runProgram(openMemoryStore(), ir, "main", { ns: [5, 1] });
    expect(outcome).toBe("failed");
  });

  it("the same with items of pure code: the run fails (it parks right after `fanout.expanded`)", async () => {
    const ir = compileText(`
workflow main(ns: List<int, max 10>) -> List<int>
  budget { compute: 1m }
  grants { }
{
  return for n in ns {
    if n > 3 {
      fail Failed("too big")
    }
    n
  }
}`);
    const { outcome } = await runProgram(openMemoryStore(), ir, "main", { ns: [5, 1] });
    expect(outcome).toBe("failed");
  });

  it("a failed item of a fan-out without `tolerate` is never dropped (another vertex ending lets the rest begin, and the run completes without it)", async () => {
    const ir = compileText(`${check}
workflow main(ns: List<int, max 10>) -> List<int>
  budget { compute: 1m }
  grants { proc }
{
  let s = slow()
  let v = for n in ns concurrency 1 { check(n) }
  return [s, len(v)]
}`);
    const { outcome, driver } = await runProgram(openMemoryStore(), ir, "main", { ns: [5, 1] });
    expect({ outcome, result: driver.core.state.result }).toEqual({ outcome: "failed", result: null });
  });
});

/**
 * run-driver.ts and attempt.ts: `stop()` (Ctrl-C) called while the driver
 * commits (from `onEntries`, or a signal during the append) does not keep
 * the attempts of that commit's decisions from starting: `act` starts them
 * after the stop, and `runAttempt` only listens for the `abort` event,
 * which an already aborted signal never sends. Such an attempt runs every
 * one of its steps while `drive` waits for it, records none (`submit` drops
 * them), and `flow resume` runs them all again: each step twice, outside
 * the documented crash window (a step in flight when the process dies).
 *
 * And a run stopped as its end is recorded is reported (and stored) as
 * `interrupted`, though its ledger ends with `run.completed`.
 */
describe("known bugs: stopping", () => {
  const program = compileText(`
import { sh } from "std/sandbox"
node first() -> int
  budget { compute: 1s }
{
  return 1
}
node work(log: string, n: int) -> int
  effects { proc }
  budget  { compute: 10s }
{
  sh("echo one >> \${log}")
  sh("echo two >> \${log}")
  return n
}
workflow main(log: string) -> int
  budget { compute: 1m }
  grants { proc }
{
  let f = first()
  return work(log, f)
}`);

  /** Runs `main`, calling `stop()` from `onEntries` at the first entry `stopAt` picks; the outcome, what the log holds then, and the driver. */
  async function stopAt(stopWhen: (entry: Entry) => boolean) {
    const dir = mkdtempSync(join(tmpdir(), "flow-stop-"));
    const log = join(dir, "log");
    const store = openMemoryStore();
    const holder: { driver: RunDriver | null } = { driver: null };
    const options = {
      store,
      sandboxes: Sandboxes.only(processDriver),
      workRoot: join(dir, "work"),
      clock: () => Date.now(),
      onEntries: (sealed: readonly Sealed[]) => {
        if (sealed.some((s) => stopWhen(s.entry))) holder.driver?.stop();
      },
    };
    const driver = await RunDriver.start(
      options,
      { kind: "run.started", at: Date.now(), data: { irHash: irHash(program), ir: program, workflow: "main", args: { log }, seed: "0".repeat(64), options: { concurrency: 4 } } },
      "main.flow",
    );
    holder.driver = driver;
    const outcome = await driver.drive();
    const logged = existsSync(log) ? readFileSync(log, "utf8") : "";
    rmSync(dir, { recursive: true, force: true });
    return { outcome, logged, driver, store };
  }

  it("no step runs after `stop()`: an attempt decided in the commit that stops the run does not start", async () => {
    const { outcome, logged } = await stopAt((e) => e.kind === "vertex.scheduled" && e.vertex === "work");
    expect(outcome).toBe("interrupted");
    expect(logged).toBe("");
  });

  it("a run stopped as it completes is reported completed", async () => {
    const { outcome, driver, store } = await stopAt((e) => e.kind === "run.completed");
    expect(driver.core.state.status).toBe("completed");
    expect(outcome).toBe("completed");
    expect((await store.getRun(driver.run))?.status).toBe("completed");
  });
});
