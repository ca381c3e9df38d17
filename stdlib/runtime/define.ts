import type { Json } from "../../interpreter/ledger/entry.ts";
import type { Args, PureFunction, Step, StepContext } from "./implementation.ts";

/** A pure function from its arguments. */
export function pure(call: (args: Args) => Json): PureFunction {
  return { kind: "function", call };
}

/**
 * A step. Without `value`, the body sees the recorded form as it is (a
 * string, a number): only steps whose value adds derived fields need one.
 */
export function step(definition: {
  readonly idempotent: boolean;
  readonly run: (context: StepContext, args: Args) => Promise<Json>;
  readonly value?: (recorded: Json) => Json;
}): Step {
  return { kind: "step", idempotent: definition.idempotent, run: definition.run, value: definition.value ?? ((recorded) => recorded) };
}
