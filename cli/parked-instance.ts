import type { RunState } from "../interpreter/core/state.ts";
import { endedAs } from "../interpreter/store/run-ended.ts";
import { UsageError } from "./exit-codes.ts";

/** What a parked run waits for at an instance: a person's decision, or a signal's value. */
export type Awaited = "approval" | "signal";

const noun: Readonly<Record<Awaited, string>> = { approval: "gate", signal: "signal" };

/**
 * The instance a name stands for among those the run is parked at: the
 * instance itself (`approve:merge`, `review[3]`), or the name of the gate
 * or signal as written (`"merge"`) when it is open at one place only.
 */
export function parkedInstance(state: RunState, awaited: Awaited, name: string | undefined): string {
  const open = [...state.parked].filter(([, waitingFor]) => waitingFor.startsWith(`${awaited} `));
  const what = noun[awaited];
  if (name === undefined) {
    if (open.length === 1) return (open[0] as [string, string])[0];
    if (open.length === 0) throw new NotWaiting(`run ${state.run} is not waiting for any ${what}${ended(state)}`, { hint: "`flow status` shows where it is" });
    throw new UsageError(`run ${state.run} waits at ${open.length} ${what}s: ${open.map(([i]) => i).join(", ")}`, { hint: `name the ${what}` });
  }
  if (state.parked.has(name)) return name;
  const named = open.filter(([, waitingFor]) => waitingFor === `${awaited} "${name}"`);
  if (named.length === 1) return (named[0] as [string, string])[0];
  if (named.length > 1) throw new UsageError(`the ${what} "${name}" is open at ${named.length} places: ${named.map(([i]) => i).join(", ")}`, { hint: "name one of them" });
  throw notParked(state, name);
}

/**
 * The run is not waiting where an answer was aimed (not parked there, or
 * answered already): a usage error to the command line, a conflict (409)
 * to `flow serve`.
 */
export class NotWaiting extends UsageError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = "NotWaiting";
  }
}

export function notParked(state: RunState, name: string): NotWaiting {
  const waits = [...state.parked].map(([i, w]) => `${i} (${w})`);
  const answered = state.gates.has(name) || state.signals.has(name);
  return new NotWaiting(`run ${state.run} is not waiting at ${name}${waits.length > 0 ? `; it waits at ${waits.join(", ")}` : answered ? "; it was answered already" : ended(state)}`, {
    hint: "`flow status` shows where it is",
  });
}

/** A run that has ended waits for nothing again: say so, rather than leave the user to guess why. */
function ended(state: RunState): string {
  const ended = endedAs(state.status);
  return ended === null ? "" : `: it has ${ended}`;
}
