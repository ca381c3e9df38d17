import type { Entry } from "../../../interpreter/ledger/entry.ts";

/** A step as the ledger records its result: which vertex instance asked for it, and the command it ran. */
export interface RecordedStep {
  readonly id: string;
  readonly vertex: string;
  readonly attempt: number;
  readonly index: number;
  readonly op: string;
  readonly command: string | null;
}

/** What the crash test reads in an exported ledger (`flow export`: canonical JSON lines). */
export interface LedgerView {
  readonly entries: readonly Entry[];
  /** The steps with a `step.completed` or `step.failed` entry, by journal id. */
  readonly steps: ReadonlyMap<string, RecordedStep>;
  /** The run's result, once `run.completed` is recorded. */
  readonly completed: { readonly result: unknown } | null;
  /** Timers set and not fired: retries waiting for their backoff. */
  readonly timersWaiting: number;
}

export function readLedger(text: string): LedgerView {
  const entries = text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Entry);
  const steps = new Map<string, RecordedStep>();
  let completed: { readonly result: unknown } | null = null;
  const timers = new Set<string>();
  for (const entry of entries) {
    if (entry.kind === "timer.set") timers.add(entry.data.timer);
    if (entry.kind === "timer.fired") timers.delete(entry.data.timer);
    if (entry.kind === "step.completed" || entry.kind === "step.failed") {
      const command = (entry.data.args as { command?: unknown }).command;
      steps.set(entry.data.id, {
        id: entry.data.id,
        vertex: entry.vertex,
        attempt: entry.attempt,
        index: entry.data.index,
        op: entry.data.op,
        command: typeof command === "string" ? command : null,
      });
    }
    if (entry.kind === "run.completed") completed = { result: entry.data.result };
  }
  return { entries, steps, completed, timersWaiting: timers.size };
}
