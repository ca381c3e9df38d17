import { DueRuns } from "../../cli/due-runs.ts";
import { type DriverOptions, RunDriver } from "../../interpreter/host/run-driver.ts";
import type { Store } from "../../interpreter/store/store.ts";
import type { RunDrives } from "./run-drives.ts";

/**
 * What `flow tick` does from cron, done by the server every `everyMs`:
 * each parked run whose timer is due (a `sleep`, a gate's timeout, a
 * retry's backoff) is taken over and driven on here. A pass never
 * overlaps the one before; a run another process holds is left to it.
 */
export class TimerLoop {
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> | null = null;
  /** Why each due run was last left (held by another process…): said once, not every second. */
  private readonly left = new Map<string, string>();
  private readonly due: DueRuns;

  constructor(
    store: Store,
    private readonly drives: RunDrives,
    private readonly driverOptions: () => DriverOptions,
    private readonly clock: () => number,
    private readonly log: (line: string) => void,
  ) {
    this.due = new DueRuns(store);
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      this.pass ??= this.once().finally(() => (this.pass = null));
    }, everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.pass;
  }

  private async once(): Promise<void> {
    let due: string[];
    try {
      due = await this.due.at(this.clock());
    } catch (error) {
      this.log(`timers: cannot read the runs: ${(error as Error).message}`);
      return;
    }
    for (const run of due) {
      if (this.drives.has(run)) continue;
      try {
        await this.drives.start(run, () => RunDriver.resume(this.driverOptions(), run));
        this.left.delete(run);
        this.log(`run ${run}: a timer was due; driving it on`);
      } catch (error) {
        const why = (error as Error).message;
        if (this.left.get(run) !== why) this.log(`run ${run}: a timer was due; left: ${why}`);
        this.left.set(run, why);
      }
    }
  }
}
