import { type Answer, RunDriver, RunHeld, StaleAnswer } from "../interpreter/host/run-driver.ts";
import type { Store } from "../interpreter/store/store.ts";
import { driveToEnd } from "./drive-run.ts";
import { driverOptions } from "./driver-options.ts";
import { exitCodes, UsageError } from "./exit-codes.ts";
import type { CommandIo } from "./io.ts";
import { RunProgress } from "./run-progress.ts";

export interface TakeOverOptions {
  readonly parkAfterMs: number;
  readonly json: boolean;
  /** Record the answer and leave the run for `flow resume`. */
  readonly detach: boolean;
  /** What to say once the run is taken over. */
  readonly said: (driver: RunDriver) => string;
  /** What to do when the run moved on from the head the answer was made against. */
  readonly staleHint: string;
  /** A run another process drives is the caller's to handle (it asks that process instead): RunHeld is thrown as it is. */
  readonly heldIsMine?: boolean;
}

/**
 * Takes a run over in this process, recording `answer` (a decision at a
 * gate, a signal's value, a fresh envelope) with the takeover, and drives
 * it to its end, as `flow resume`, `approve` and `signal` do.
 */
export async function takeOver(store: Store, run: string, answer: Answer | undefined, options: TakeOverOptions, io: CommandIo): Promise<number> {
  const progress = options.json || options.detach ? null : new RunProgress(io.err, io.colorErr, () => Date.now());
  let driver: RunDriver;
  try {
    driver = await RunDriver.resume(driverOptions(store, { parkAfterMs: options.parkAfterMs, onEntries: (sealed) => progress?.entries(sealed) }), run, answer);
  } catch (error) {
    progress?.finish();
    if (error instanceof StaleAnswer) throw new UsageError(error.message, { hint: options.staleHint });
    if (error instanceof RunHeld) {
      // Driven elsewhere: `flow pause` and `flow cancel` ask that process instead; anything else waits for it to let go.
      if (options.heldIsMine === true) throw error;
      throw new UsageError(error.message, { hint: "it is being driven now; answer it once it parks (`flow status` says when)" });
    }
    throw new UsageError((error as Error).message);
  }
  io.err(`${options.said(driver)}\n`);
  progress?.headed();
  if (options.detach) {
    await driver.release();
    io.err(`\`flow resume ${run}\` continues it\n`);
    return exitCodes.ok;
  }
  return await driveToEnd(driver, progress, io, options.json);
}
