import type { RunState } from "./state.ts";

/**
 * The timers a run still waits for, with when each is due: set and not
 * fired, and not made moot. A gate's timeout and a signal's are keyed by
 * their instance and stay unfired in the state once a decision or the
 * value came first (nothing records that they will never matter), so
 * without this a decided gate's timeout would keep a process from parking
 * until it fired, be given as the timeout of the next thing the run waits
 * for, and make `flow tick` take the run for due.
 */
export function* pendingTimers(state: RunState): Generator<[timer: string, until: number]> {
  for (const [timer, { until, fired }] of state.timers) {
    if (fired || state.gates.has(timer) || state.signals.has(timer)) continue;
    yield [timer, until];
  }
}
