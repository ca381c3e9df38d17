import type { Entry } from "../../interpreter/ledger/entry.ts";
import { endedAs } from "../../interpreter/store/run-ended.ts";
import type { RunStatus, Store } from "../../interpreter/store/store.ts";
import { describeEntry } from "../describe-entry.ts";
import type { CommandIo } from "../io.ts";
import { findRun, openRunStore } from "../run-store.ts";

export interface LogsOptions {
  readonly run: string;
  readonly store: string | undefined;
  readonly follow: boolean;
  readonly json: boolean;
}

/** Statuses in which a run records nothing until someone decides, signals, resumes it, or a timer comes. */
const waiting: readonly RunStatus[] = ["parked", "paused", "aborted"];

/** How often `--follow` looks for new entries. */
const pollMs = 300;

/**
 * `flow logs RUN [--follow]`: the run's ledger, one line an entry (`--json`:
 * the entries themselves); with `--follow`, new entries as they are
 * recorded, until the run ends or Ctrl-C.
 */
export async function logs(options: LogsOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store, { create: false });
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.on("SIGINT", stop);
  try {
    const record = await findRun(store, options.run);
    let next = 0;
    let said: string | null = null;
    for (;;) {
      next = await printFrom(store, record.id, next, options, io);
      // Followed into a reader that has gone (`| head`): nothing more can be shown.
      if (!options.follow || stopped || io.closed?.() === true) return 0;
      const now = await store.getRun(record.id);
      if (now === null || endedAs(now.status) !== null) {
        next = await printFrom(store, record.id, next, options, io);
        return 0;
      }
      // A run that waits for someone records nothing until then: say so once, or following it looks hung.
      if (waiting.includes(now.status) && said !== now.status) io.err(`run ${record.id} is ${now.status}: following it until it ends (Ctrl-C stops)\n`);
      said = now.status;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    process.off("SIGINT", stop);
    await store.close();
  }
}

async function printFrom(store: Store, run: string, from: number, options: LogsOptions, io: CommandIo): Promise<number> {
  let next = from;
  for await (const stored of store.entries(run, from)) {
    if (options.json) io.out(`${stored.text}\n`);
    else {
      const entry = JSON.parse(stored.text) as Entry;
      io.out(`${String(entry.seq).padStart(5)}  ${new Date(entry.at).toISOString().slice(11, 23)}  ${describeEntry(entry)}\n`);
    }
    next = stored.seq + 1;
  }
  return next;
}
