import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { irHash } from "../../compiler/ir/hash.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import { RunCore, type Sealed } from "../../interpreter/core/advance.ts";
import { restoreSnapshot, snapshotText } from "../../interpreter/core/snapshot.ts";
import { type DriveOutcome, type DriverOptions, RunDriver } from "../../interpreter/host/run-driver.ts";
import { checkLink, emptyHead, type ChainHead } from "../../interpreter/ledger/chain.ts";
import type { Entry, EntryOf, Json } from "../../interpreter/ledger/entry.ts";
import { processDriver } from "../../interpreter/sandbox/process.ts";
import { Sandboxes } from "../../interpreter/sandbox/sandboxes.ts";
import type { Snapshot, Store } from "../../interpreter/store/store.ts";

/**
 * Drives a run as `flow run` and `flow resume` do, possibly in several
 * pieces: the driver is stopped (`stop()`, as on Ctrl-C) once the ledger
 * has reached each of `stopAt`'s entry counts, and a new driver resumes it
 * from the store, opened afresh (another process, for SQLite), until the
 * run ends. Every snapshot saved on the way is kept for the caller.
 */
export interface Piecewise {
  readonly run: string;
  readonly outcome: DriveOutcome;
  /** The final driver's state (a fold by the live core). */
  readonly finalState: string;
  /** The ledger as the store has it, text by text. */
  readonly texts: readonly string[];
  /** What `onEntries` was told, over all pieces, in order. */
  readonly told: readonly Sealed[];
  /** How many drivers it took (1 when never stopped). */
  readonly pieces: number;
  /** Resumes that found the run already ended (it was stopped as its last entries were recorded): they record no `run.resumed`. */
  readonly resumedEnded: number;
  readonly snapshots: readonly Snapshot[];
  /** Each resume: the seq of the snapshot it started from (null: it folded the whole ledger), and of the latest one saved before it. */
  readonly resumedFrom: readonly { readonly read: number | null; readonly latestSaved: number | null }[];
}

export interface PiecewiseOptions {
  readonly ir: Ir;
  readonly workflow: string;
  readonly args: Record<string, Json>;
  readonly concurrency: number;
  /** Cumulative entry counts after which the driver then driving is stopped. */
  readonly stopAt?: readonly number[];
  readonly snapshotEvery?: DriverOptions["snapshotEvery"];
  /** More pieces than this and the run is given up (a resume that never ends it). */
  readonly maxPieces?: number;
}

export async function drivePiecewise(openStore: () => Promise<Store>, options: PiecewiseOptions): Promise<Piecewise> {
  const workRoot = mkdtempSync(join(tmpdir(), "flow-props-"));
  const stops = [...(options.stopAt ?? [])].sort((a, b) => a - b);
  const told: Sealed[] = [];
  const snapshots: Snapshot[] = [];
  const resumedFrom: { read: number | null; latestSaved: number | null }[] = [];
  let current: RunDriver | null = null;
  let stopRequested = false;
  const onEntries = (sealed: readonly Sealed[]) => {
    told.push(...sealed);
    if (stops.length > 0 && told.length >= stops[0]!) {
      while (stops.length > 0 && told.length >= stops[0]!) stops.shift();
      stopRequested = true;
      current?.stop();
    }
  };
  const driverOptions = (store: Store): DriverOptions => ({
    store: keepingSnapshots(store, snapshots, resumedFrom),
    sandboxes: Sandboxes.only(processDriver),
    workRoot,
    clock: () => Date.now(),
    onEntries,
    ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
  });
  try {
    let pieces = 0;
    let resumedEnded = 0;
    let run: string | null = null;
    for (;;) {
      pieces++;
      if (pieces > (options.maxPieces ?? 20)) throw new Error(`run ${run} did not end in ${pieces - 1} pieces`);
      const store = await openStore();
      try {
        stopRequested = false;
        current = null;
        const driver: RunDriver =
          run === null
            ? await RunDriver.start(
                driverOptions(store),
                {
                  kind: "run.started",
                  at: Date.now(),
                  data: { irHash: irHash(options.ir), ir: options.ir, workflow: options.workflow, args: options.args, seed: "0".repeat(64), options: { concurrency: options.concurrency } },
                },
                "main.flow",
              )
            : await RunDriver.resume(driverOptions(store), run);
        current = driver;
        if (run !== null && (driver.core.state.status === "completed" || driver.core.state.status === "failed")) resumedEnded++;
        run = driver.run;
        if (stopRequested) driver.stop();
        const outcome = await driver.drive();
        if (outcome !== "interrupted") {
          const texts: string[] = [];
          for await (const stored of store.entries(driver.run, 0)) texts.push(stored.text);
          return { run: driver.run, outcome, finalState: snapshotText(driver.core.state), texts, told, pieces, resumedEnded, snapshots, resumedFrom };
        }
      } finally {
        await store.close();
      }
    }
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}

/** The store, with every snapshot it is asked to save also kept in `kept`, and the seq of each it reads back in `read`. */
function keepingSnapshots(store: Store, kept: Snapshot[], read: { read: number | null; latestSaved: number | null }[]): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === "saveSnapshot") {
        return async (run: string, snapshot: Snapshot) => {
          kept.push({ ...snapshot });
          return target.saveSnapshot(run, snapshot);
        };
      }
      if (key === "latestSnapshot") {
        return async (run: string) => {
          const snapshot = await target.latestSnapshot(run);
          read.push({ read: snapshot?.seq ?? null, latestSaved: kept.length === 0 ? null : Math.max(...kept.map((k) => k.seq)) });
          return snapshot;
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The ledger's entries, each checked against the chain (throws where it breaks). */
export function parseLedger(texts: readonly string[]): Entry[] {
  const entries: Entry[] = [];
  let head: ChainHead = emptyHead;
  let run: string | null = null;
  for (const text of texts) {
    const link = checkLink(run, head, text);
    if ("broken" in link) throw new Error(`the ledger breaks at ${head.seq + 1}: ${link.broken.kind}`);
    entries.push(link.entry);
    run = link.entry.run;
    head = { seq: link.entry.seq, hash: link.entry.hash };
  }
  return entries;
}

/** The state after the entries up to each seq of `at` and after the last, as snapshot text: the fold `entries.reduce(apply)`. */
export function foldStates(entries: readonly Entry[], at: ReadonlySet<number>): { readonly at: ReadonlyMap<number, string>; readonly last: string } {
  const core = new RunCore(entries[0] as EntryOf<"run.started">);
  const states = new Map<number, string>();
  if (at.has(0)) states.set(0, snapshotText(core.state));
  for (const entry of entries.slice(1)) {
    core.fold(entry);
    if (at.has(entry.seq)) states.set(entry.seq, snapshotText(core.state));
  }
  return { at: states, last: snapshotText(core.state) };
}

/** The state a resume builds: a snapshot restored, then the entries after it folded. */
export function restoredState(entries: readonly Entry[], snapshot: Snapshot): string {
  const core = new RunCore(entries[0] as EntryOf<"run.started">, restoreSnapshot(snapshot.text));
  for (const entry of entries.slice(snapshot.seq + 1)) core.fold(entry);
  return snapshotText(core.state);
}
