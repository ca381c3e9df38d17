import type { Json } from "../../interpreter/ledger/entry.ts";
import type { SandboxSession } from "../../interpreter/sandbox/sandbox.ts";

/**
 * What a std declaration (stdlib/*.flow) is at run time. The declarations
 * are the one source of the signatures; these are the implementations the
 * interpreter calls, by op id (`std/sandbox:sh@1`, stdlib/runtime/index.ts).
 *
 * Arguments are bound to parameters by name (the IR binds them); an
 * optional parameter left out is null. Values are JSON, except that a
 * parameter of function type receives a `Callable` (a flow lambda).
 */

/** A flow lambda, as a std function receives it; it may throw a `StdFailure`. */
export type Callable = (...args: Json[]) => Json;

export type Value = Json | Callable;

export type Args = Readonly<Record<string, Value>>;

/**
 * A failure a std function or step raises: a std failure kind (LANGUAGE.md
 * §10: `Timeout`, `Transient`, `RateLimited`, `InvalidOutput`,
 * `BudgetExceeded`, `Rejected`, `Failed`) and a message for the user.
 */
export class StdFailure extends Error {
  constructor(
    readonly kind: string,
    message: string,
    /** The message already says where in the program it failed (`(at main.flow:4:10)`): the evaluator adds no place. */
    readonly located = false,
  ) {
    super(message);
    this.name = "StdFailure";
  }
}

/** Why a command's sandbox killed it for its memory: said the same by every step that runs commands. */
export function outOfMemory(what: string): string {
  return `${what} was killed: its sandbox reached the memory limit of its profile (\`memoryMb\` in flow.config.json)`;
}

/** A pure function: the same arguments always give the same value, on every machine. */
export interface PureFunction {
  readonly kind: "function";
  call(args: Args): Json;
}

export interface StepContext {
  readonly session: SandboxSession;
  /** The step's journal id (hex): an idempotency key for a world that can use one (an HTTP header, a commit trailer). */
  readonly stepId: string;
  /** Aborted when the attempt is given up: stop and return. */
  readonly signal: AbortSignal;
}

/**
 * A step: it touches the world, so it is journaled. `run` returns its
 * recorded form (what the ledger keeps: small, JSON), `value` turns that
 * into the value the body sees (`sh` records exit, stdout and stderr; the
 * body also sees `lines` and `json`, derived). `value` must be pure: replay
 * calls it on the recorded form.
 */
export interface Step {
  readonly kind: "step";
  /**
   * Running it again after a crash has no further effect: it only reads,
   * writes the same bytes again, or recognises its own journal id. Steps
   * that are not idempotent may run twice when the process dies between
   * the step and the durable record of its result (docs/runtime.md).
   */
  readonly idempotent: boolean;
  run(context: StepContext, args: Args): Promise<Json>;
  value(recorded: Json): Json;
}

export type Implementation = PureFunction | Step;
