import { resolve } from "node:path";
import { RunDriver } from "../../interpreter/host/run-driver.ts";
import { processDriver } from "../../interpreter/sandbox/process.ts";
import { driveToEnd } from "../drive-run.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { RunProgress } from "../run-progress.ts";
import { findRun, openRunStore } from "../run-store.ts";

export interface ResumeOptions {
  readonly run: string;
  readonly store: string | undefined;
  /** `--park-after`: see DriverOptions.parkAfterMs. */
  readonly parkAfterMs: number;
  readonly json: boolean;
}

/**
 * `flow resume RUN`: takes a run over where it stopped (a crash, Ctrl-C,
 * `--detach`): its state is read back from the latest snapshot and the
 * entries after it, what was in flight is scheduled again (same attempt,
 * so steps already recorded are not run again), and the run is driven on.
 */
export async function resume(options: ResumeOptions, io: CommandIo): Promise<number> {
  const store = await openRunStore(options.store);
  try {
    const record = await findRun(store, options.run);
    if (record.status === "completed" || record.status === "failed") {
      // Its outcome, as `flow run` would have printed it: a resume of a finished run is a way to ask for it.
      const { status } = await import("./status.ts");
      io.err(`run ${record.id} has already ${record.status}; nothing to resume\n`);
      await status({ run: record.id, store: options.store, json: options.json }, { ...io, out: io.err });
      return record.status === "completed" ? exitCodes.ok : exitCodes.failed;
    }
    const progress = options.json ? null : new RunProgress(io.err, io.colorErr, () => Date.now());
    let driver: RunDriver;
    try {
      driver = await RunDriver.resume(
        { store, sandbox: processDriver, workRoot: resolve(".flow", "work"), clock: () => Date.now(), parkAfterMs: options.parkAfterMs, onEntries: (sealed) => progress?.entries(sealed) },
        record.id,
      );
    } catch (error) {
      progress?.finish();
      throw new UsageError((error as Error).message);
    }
    io.err(`run ${record.id}: resumed at entry ${driver.core.state.head.seq}\n`);
    return await driveToEnd(driver, progress, io, options.json);
  } finally {
    await store.close();
  }
}
