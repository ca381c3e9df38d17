import { RunDriver } from "../../interpreter/host/run-driver.ts";
import { driverOptions } from "../driver-options.ts";
import { DueRuns } from "../due-runs.ts";
import { exitCodes } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { NoStore, openRunStore } from "../run-store.ts";
import type { Store } from "../../interpreter/store/store.ts";

export interface TickOptions {
  readonly store: string | undefined;
  /** `--park-after`: see DriverOptions.parkAfterMs. */
  readonly parkAfterMs: number;
  readonly json: boolean;
}

/**
 * `flow tick`: one pass over the parked runs (for cron): each whose timer
 * is due (a `sleep`, a gate's timeout, a retry's backoff) is taken over
 * and driven on until it ends or parks again. A run whose lease another
 * process holds is left to it.
 */
export async function tick(options: TickOptions, io: CommandIo): Promise<number> {
  let store: Store;
  try {
    store = await openRunStore(options.store, { create: false });
  } catch (error) {
    // From cron in a project where no run was started yet, nothing is due; a store named that is not there is a mistake.
    if (!(error instanceof NoStore && error.here)) throw error;
    return reportTick([], options, io, exitCodes.ok);
  }
  const report: { run: string; outcome: string }[] = [];
  let code: number = exitCodes.ok;
  try {
    const drive = driverOptions(store, { parkAfterMs: options.parkAfterMs });
    for (const run of await new DueRuns(store).at(Date.now())) {
      let outcome: string;
      try {
        const driver = await RunDriver.resume(drive, run);
        outcome = await driver.drive();
        if (outcome === "failed" || outcome === "aborted" || outcome === "interrupted") code = exitCodes.failed;
      } catch (error) {
        outcome = `left: ${(error as Error).message}`;
      }
      report.push({ run, outcome });
      if (!options.json) io.err(`run ${run}: a timer was due; ${outcome}\n`);
    }
  } finally {
    await store.close();
  }
  return reportTick(report, options, io, code);
}

function reportTick(report: readonly { run: string; outcome: string }[], options: TickOptions, io: CommandIo, code: number): number {
  if (options.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.length === 0) io.err("no parked run has a timer due\n");
  return code;
}
