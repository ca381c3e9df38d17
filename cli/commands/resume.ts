import type { Budget } from "../../compiler/ir/cost.ts";
import { abortText } from "../../interpreter/core/budget.ts";
import { readRun } from "../../interpreter/host/read-run.ts";
import type { Answer, RunDriver } from "../../interpreter/host/run-driver.ts";
import type { Draft } from "../../interpreter/ledger/entry.ts";
import type { Store } from "../../interpreter/store/store.ts";
import { endedAs } from "../../interpreter/store/run-ended.ts";
import { freshEnvelopeHint } from "../budget-option.ts";
import { ceilingsText } from "../describe-entry.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { findRun, openRunStore } from "../run-store.ts";
import { takeOver } from "../take-over.ts";
import { who } from "../who.ts";

export interface ResumeOptions {
  readonly run: string;
  readonly store: string | undefined;
  /** `--park-after`: see DriverOptions.parkAfterMs. */
  readonly parkAfterMs: number;
  readonly json: boolean;
  /** `--budget`: a fresh envelope, recorded as the run is taken over. */
  readonly budget: Partial<Record<keyof Budget, number>> | undefined;
}

/**
 * `flow resume RUN`: takes a run over where it stopped (a crash, Ctrl-C,
 * `--detach`): its state is read back from the latest snapshot and the
 * entries after it, what was in flight is scheduled again (same attempt,
 * so steps already recorded are not run again), and the run is driven on.
 */
export async function resume(options: ResumeOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store, { create: false });
  try {
    const record = await findRun(store, options.run);
    const ended = endedAs(record.status);
    if (ended !== null) {
      // Its outcome, as `flow run` would have printed it: a resume of a finished run is a way to ask for it.
      const { status } = await import("./status.ts");
      io.err(`run ${record.id} has already ${ended}; nothing to resume\n`);
      await status({ run: record.id, store: options.store, json: options.json }, { ...io, out: io.err });
      return record.status === "completed" ? exitCodes.ok : exitCodes.failed;
    }
    const answer = await resumeAnswer(store, record.id, options.budget, who());
    const envelope = (driver: RunDriver) => (options.budget === undefined ? "" : ` with a fresh envelope (${ceilingsText(driver.core.state.budget.ceilings)})`);
    return await takeOver(
      store,
      record.id,
      answer,
      { ...options, detach: false, said: (driver) => `run ${record.id}: resumed at entry ${driver.resumedAt}${envelope(driver)}`, staleHint: "resume it again" },
      io,
    );
  } finally {
    await store.close();
  }
}

/**
 * What taking the run over records besides the takeover: a fresh envelope
 * (`budget.set`: the run's ceilings with the given ones replaced, nothing
 * spent), and, for a paused run, that it may go on; `by` is who asked
 * (`user@host`, or the holder of a `flow serve` token).
 */
export async function resumeAnswer(store: Store, run: string, given: Partial<Record<keyof Budget, number>> | undefined, by: string): Promise<Answer | undefined> {
  const { core } = await readRun(store, run);
  // Taken over without a new envelope, it would stop again at once, leaving only a takeover in its ledger.
  if (core.state.status === "aborted" && given === undefined) {
    throw new UsageError(`run ${run} is stopped by its budget: ${abortText(core.state.budget)}`, { hint: freshEnvelopeHint(run, core.state.budget.ceilings) });
  }
  const drafts: Draft[] = [];
  if (core.state.status === "paused") drafts.push({ kind: "run.unpaused", at: Date.now(), data: { by } });
  if (given !== undefined) drafts.push({ kind: "budget.set", at: Date.now(), data: { ceilings: { ...core.state.budget.ceilings, ...given }, by } });
  return drafts.length === 0 ? undefined : { head: core.state.head.hash, drafts };
}
