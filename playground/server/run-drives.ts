import type { DriveOutcome, RunDriver } from "../../interpreter/host/run-driver.ts";
import { ApiError } from "./api-error.ts";

/**
 * The runs this server drives, one driver each. The store's lease keeps
 * other processes off a run, but not this one (a lease already the
 * owner's is granted again), so the server keeps its own count: a run it
 * drives is not taken over twice, and is asked (through the store, as
 * `flow pause` asks another process) rather than taken.
 */
export class RunDrives {
  private readonly driving = new Map<string, RunDriver | "starting">();
  private readonly done = new Set<Promise<void>>();

  constructor(private readonly log: (line: string) => void) {}

  has(run: string): boolean {
    return this.driving.has(run);
  }

  /**
   * Takes the run over with `take` (which records what the request
   * answers, as the takeover's first append) and drives it on here, in the
   * background: the request is answered once the answer is durable, not
   * when the run ends.
   */
  async start(run: string, take: () => Promise<RunDriver>): Promise<RunDriver> {
    if (this.driving.has(run)) throw new ApiError(409, "run_driven_here", `run ${run} is being driven by this server now`, "answer it once it parks; `GET /api/runs/:id` says when");
    this.driving.set(run, "starting");
    let driver: RunDriver;
    try {
      driver = await take();
    } catch (error) {
      this.driving.delete(run);
      throw error;
    }
    this.drive(driver);
    return driver;
  }

  /** A run this server has just started (`POST /api/runs`): driven here from its first entry. */
  adopt(driver: RunDriver): void {
    this.drive(driver);
  }

  private drive(driver: RunDriver): void {
    const run = driver.run;
    this.driving.set(run, driver);
    const done = driver.drive().then(
      (outcome: DriveOutcome) => this.log(`run ${run}: ${outcome}`),
      (error: Error) => this.log(`run ${run}: driving it failed: ${error.message}`),
    );
    const settled = done.finally(() => {
      this.driving.delete(run);
      this.done.delete(settled);
    });
    this.done.add(settled);
  }

  /** Stops every run driven here (what is in flight is killed; `flow resume` continues them) and waits for each to be let go. */
  async stopAll(): Promise<void> {
    for (const driver of this.driving.values()) if (driver !== "starting") driver.stop();
    await Promise.allSettled([...this.done]);
  }
}
