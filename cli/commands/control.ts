import { RunHeld } from "../../interpreter/host/run-driver.ts";
import type { Draft } from "../../interpreter/ledger/entry.ts";
import type { RunStatus, Store } from "../../interpreter/store/store.ts";
import { endedAs, endedStatuses } from "../../interpreter/store/run-ended.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { findRun, openRunStore } from "../run-store.ts";
import { takeOver } from "../take-over.ts";
import { who } from "../who.ts";

export interface ControlOptions {
  readonly run: string;
  readonly store: string | undefined;
  /** How long to wait for the process driving the run to carry it out, ms. */
  readonly waitMs: number;
  readonly json: boolean;
}


/**
 * `flow pause RUN` and `flow cancel RUN`. A run no process drives (parked,
 * aborted, stopped) is paused or cancelled here, recorded as this process
 * takes it over. A run another process drives is asked through the store:
 * that process looks twice a second, and records it itself (a pause lets
 * what is in flight finish; a cancel kills it first); this command waits
 * to see it done.
 */
export async function control(kind: "pause" | "cancel", options: ControlOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store, { create: false });
  try {
    const record = await findRun(store, options.run);
    const ended = endedAs(record.status);
    if (ended !== null) throw new UsageError(`run ${record.id} has already ${ended}`);
    if (kind === "pause" && record.status === "paused") {
      io.err(`run ${record.id} is paused already; \`flow resume ${record.id}\` lets it go on\n`);
      return exitCodes.ok;
    }
    const by = who();
    const head = await store.head(record.id);
    if (head === null) throw new UsageError(`run ${record.id} has no entries`);
    const draft: Draft = kind === "pause" ? { kind: "run.paused", at: Date.now(), data: { by } } : { kind: "run.cancelled", at: Date.now(), data: { by } };
    try {
      const code = await takeOver(
        store,
        record.id,
        { head: head.hash, drafts: [draft] },
        { parkAfterMs: 0, json: options.json, detach: false, heldIsMine: true, said: () => `run ${record.id}: ${kind === "pause" ? "paused" : "cancelled"} by ${by}`, staleHint: "try again" },
        io,
      );
      // Done as asked is a success, whatever a cancelled run means to the process that was driving it.
      return (await store.getRun(record.id))?.status === (kind === "pause" ? "paused" : "cancelled") ? exitCodes.ok : code;
    } catch (error) {
      if (!(error instanceof RunHeld)) throw error;
      return await ask(store, record.id, kind, by, error, options, io);
    }
  } finally {
    await store.close();
  }
}

/** Leaves the request for the process driving the run, and waits for its status to say it was carried out. */
async function ask(store: Store, run: string, kind: "pause" | "cancel", by: string, held: RunHeld, options: ControlOptions, io: CommandIo): Promise<number> {
  await store.requestControl(run, { kind, by, at: Date.now() });
  io.err(`run ${run} is driven by ${held.holder.owner}: asked it to ${kind} the run\n`);
  const done: readonly RunStatus[] = kind === "pause" ? ["paused", ...endedStatuses] : ["cancelled", ...endedStatuses];
  const until = Date.now() + options.waitMs;
  for (;;) {
    const status = (await store.getRun(run))?.status;
    if (status !== undefined && done.includes(status)) {
      if (options.json) io.out(`${JSON.stringify({ run, status })}\n`);
      io.err(`run ${run} is ${status}\n`);
      return status === (kind === "pause" ? "paused" : "cancelled") ? exitCodes.ok : exitCodes.failed;
    }
    if (Date.now() >= until) {
      io.err(`run ${run} is still ${status ?? "unknown"}; its driver will ${kind} it when it next looks\n`);
      return exitCodes.ok;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
