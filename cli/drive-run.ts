import { relative } from "node:path";
import { abortText } from "../interpreter/core/budget.ts";
import { pendingTimers } from "../interpreter/core/pending-timers.ts";
import type { DriveOutcome, RunDriver } from "../interpreter/host/run-driver.ts";
import { freshEnvelopeHint } from "./budget-option.ts";
import { exitCodes } from "./exit-codes.ts";
import type { CommandIo } from "./io.ts";
import type { RunProgress } from "./run-progress.ts";

/** Exit code of an interrupted run, as shells report Ctrl-C. */
const interruptedExit = 130;

/**
 * Drives a run to its end in this process, as `flow run` and `flow resume`
 * do: Ctrl-C (or SIGTERM) stops it cleanly, killing what is in flight, so
 * that `flow resume` continues it; the result goes to standard output (one
 * line of JSON, or the whole report with `--json`), everything else to
 * standard error.
 */
export async function driveToEnd(driver: RunDriver, progress: RunProgress | null, io: CommandIo, json: boolean): Promise<number> {
  const stop = () => driver.stop();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  let outcome: DriveOutcome;
  try {
    outcome = await driver.drive();
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    progress?.finish();
  }
  const state = driver.core.state;
  const run = driver.run;
  // Whenever a run parks, stops or ends, the driver signs and keeps its account so far (.flow/receipts/).
  if (driver.lastAccount !== null) io.err(`receipt: ${relative(process.cwd(), driver.lastAccount)}\n`);
  if (driver.accountFailure !== null) io.err(`warning: no receipt was written: ${driver.accountFailure.message}\n`);
  if (json) {
    io.out(
      `${JSON.stringify({ run, status: outcome, result: state.result, failures: state.failures, parked: Object.fromEntries(state.parked), entries: state.head.seq + 1, head: state.head.hash }, null, 2)}\n`,
    );
  }
  switch (outcome) {
    case "completed":
      if (!json) io.out(`${JSON.stringify(state.result)}\n`);
      io.err(`run ${run} completed (${state.head.seq + 1} entries)\n`);
      return exitCodes.ok;
    case "failed":
      for (const { at, failure } of state.failures) io.err(`  ${at}: ${failure.kind}: ${failure.message}\n`);
      io.err(`run ${run} failed; \`flow logs ${run}\` shows what happened\n`);
      return exitCodes.failed;
    case "parked": {
      // Rows only from here: no process waits for a person or a distant timer.
      const waits = [...state.parked.entries()].map(([at, what]) => `${at} (${what})`).join(", ");
      const timers = [...pendingTimers(state)].map(([, until]) => until);
      const next = timers.length === 0 ? null : new Date(Math.min(...timers)).toISOString();
      if (waits !== "") {
        const gate = [...state.parked.values()].some((w) => w.startsWith("approval "));
        // One signal waited for, named so that the command can be pasted as it is (a name a shell would split stays NAME).
        const signals = [...state.parked.values()].flatMap((w) => /^signal "([\w.:-]+)"$/.exec(w)?.[1] ?? []);
        const name = signals.length === 1 && state.parked.size === 1 ? signals[0] : "NAME";
        const how = gate ? `\`flow approve ${run}\` decides at its gate` : `\`flow signal ${run} ${name} --data JSON\` delivers what it waits for`;
        io.err(`run ${run} is parked at ${waits}${next === null ? "" : ` (its timeout: ${next})`}; ${how}\n`);
      } else {
        io.err(`run ${run} is parked until ${next ?? "a timer"}: \`flow tick\` (from cron) continues it once it is due\n`);
      }
      return exitCodes.ok;
    }
    case "paused":
      io.err(`run ${run} paused: nothing more is dispatched; \`flow resume ${run}\` lets it go on\n`);
      return exitCodes.ok;
    case "cancelled":
      io.err(`run ${run} cancelled; nothing more of it runs\n`);
      return exitCodes.failed;
    case "aborted":
      io.err(`run ${run} aborted: ${abortText(state.budget)}\n`);
      io.err(`${freshEnvelopeHint(run, state.budget.ceilings)}\n`);
      return exitCodes.failed;
    case "interrupted":
      io.err(`run ${run} stopped; \`flow resume ${run}\` continues it where it stopped\n`);
      return interruptedExit;
  }
}
