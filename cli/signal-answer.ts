import { showType } from "../compiler/verify-ir/show-type.ts";
import type { RunCore } from "../interpreter/core/advance.ts";
import { splitInstance } from "../interpreter/core/plan.ts";
import { validateValue } from "../interpreter/core/validate-value.ts";
import type { Answer } from "../interpreter/host/run-driver.ts";
import type { Json } from "../interpreter/ledger/entry.ts";
import { UsageError } from "./exit-codes.ts";
import { parkedInstance } from "./parked-instance.ts";
import { whatIsWrong } from "./value-problem.ts";

/** A signal's value that is not of the type its `wait signal` declares: refused, nothing recorded. */
export class InvalidSignalValue extends UsageError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = "InvalidSignalValue";
  }
}

/**
 * What delivering a signal's value takes, for `flow signal` and `flow
 * serve` alike: the instance the name stands for among those the run is
 * parked at, the value checked against the declared type, and the
 * `signal.received` entry, made against the run's head.
 */
export function signalAnswer(core: RunCore, name: string | undefined, value: Json, by: string, at: number): { readonly answer: Answer; readonly instance: string; readonly signal: string } {
  const instance = parkedInstance(core.state, "signal", name);
  const barrier = core.plan.barriers.get(splitInstance(instance).id);
  if (barrier?.kind !== "signal") throw new UsageError(`${instance} is not a signal`);
  const problem = validateValue(value, barrier.type, core.plan.ir.types);
  if (problem !== null) {
    throw new InvalidSignalValue(`the value does not fit \`${showType(barrier.type, core.plan.ir.types)}\`, the type of the signal "${barrier.signal}": ${whatIsWrong(problem)}`, {
      hint: "nothing was recorded; send a value of the declared type",
    });
  }
  return { instance, signal: barrier.signal, answer: { head: core.state.head.hash, drafts: [{ kind: "signal.received", at, data: { instance, value, by } }] } };
}
