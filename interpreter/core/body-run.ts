import type { JsonSchema } from "../../compiler/ir/json-schema.ts";
import type { Unit } from "../../compiler/ir/unit.ts";
import { StdFailure } from "../../stdlib/runtime/implementation.ts";
import { implementations } from "../../stdlib/runtime/index.ts";
import type { Draft, Failure, Json } from "../ledger/entry.ts";
import type { ModelCall } from "./agent-run.ts";
import { type BlockOutcome, type Evaluation, execute, Frame, type Scope, type Yielded } from "./evaluate.ts";
import { journalId } from "./journal-id.ts";
import type { RunPlan } from "./plan.ts";
import type { JournalRecord } from "./state.ts";
import { validateValue } from "./validate-value.ts";

/** A step the body needs and the journal does not have: the driver runs it and answers with `resume`. */
export interface StepRequest {
  readonly index: number;
  readonly op: string;
  readonly id: string;
  readonly args: Readonly<Record<string, Json>>;
  /** For a model call (an agent's), what to send: the journal records only its hash. */
  readonly call?: ModelCall;
}

export type BodyProgress =
  | { readonly kind: "step"; readonly request: StepRequest; readonly drafts: Draft[] }
  | { readonly kind: "finished"; readonly drafts: Draft[] };

/**
 * One attempt of a node's or verifier's body, run as far as its journal
 * allows. Deterministic: the same journal gives the same step requests, the
 * same checkpoints and the same result, which is what lets the live host
 * and replay share it. The host answers each request by running the step;
 * replay answers with the recorded entry; both record (or compare) the
 * drafts it returns: checkpoints the attempt had not recorded yet, and at
 * the end `vertex.completed` or `vertex.failed`.
 *
 * A body resumed after a crash starts over with the journal: steps that
 * ran return their recorded results, checkpoints already recorded are not
 * recorded again.
 */
export class BodyRun {
  private readonly evaluation: Evaluation<BlockOutcome>;
  private steps = 0;
  private checkpoints = 0;
  private started = false;
  private now = 0;
  /** The op of the step asked for last, whose recorded form the answer is. */
  private asked: string | null = null;
  private finished = false;

  constructor(
    private readonly plan: RunPlan,
    private readonly run: string,
    readonly instance: string,
    readonly attempt: number,
    private readonly unit: Unit,
    private readonly args: Readonly<Record<string, Json>>,
    private readonly journal: ReadonlyMap<string, JournalRecord>,
    private readonly recordedCheckpoints: readonly { readonly label: string; readonly steps: number }[],
    /** Journal ids of the steps a retry carries over from an earlier attempt's checkpoint, by index. */
    private readonly carried: readonly string[] = [],
  ) {
    if (unit.kind === "agent") throw new Error(`internal: \`${unit.name}\` is an agent, whose attempts are AgentRuns`);
    this.evaluation = execute(unit.body, new Frame(new BodyScope(plan.ir, args)));
  }

  /**
   * Runs the body until it needs a step the journal lacks, or ends. `reply`
   * answers the step it asked for last; `at` is the time of the entry that
   * let it go on (the attempt starting, the step's result), which the
   * drafts carry, so that replay gives them the same.
   */
  resume(at: number, reply?: JournalRecord): BodyProgress {
    this.now = at;
    if (this.finished) throw new Error(`${this.instance} attempt ${this.attempt} has finished`);
    const drafts: Draft[] = [];
    if (!this.started) {
      this.started = true;
      const problem = invalidArgument(this.unit, this.args, this.plan.ir.types);
      if (problem !== null) return this.finish(drafts, { failure: { kind: "InvalidOutput", message: problem } });
    }
    let answer: JournalRecord | undefined = reply;
    for (;;) {
      let next: IteratorResult<Yielded, BlockOutcome>;
      try {
        next = this.step(answer);
      } catch (thrown) {
        if (thrown instanceof StdFailure) return this.finish(drafts, { failure: { kind: thrown.kind, message: thrown.message } });
        throw thrown;
      }
      if (next.done) {
        const outcome = next.value;
        const result = outcome.kind === "return" ? outcome.value : null;
        const problem = validateValue(result, this.unit.result, this.plan.ir.types);
        if (problem !== null) return this.finish(drafts, { failure: { kind: "InvalidOutput", message: `the result of \`${this.unit.name}\` ${problem}` } });
        return this.finish(drafts, { result });
      }
      const yielded = next.value;
      if (yielded.kind === "checkpoint") {
        const recorded = this.recordedCheckpoints[this.checkpoints];
        this.checkpoints++;
        if (recorded === undefined || recorded.label !== yielded.label || recorded.steps !== this.steps) {
          drafts.push({ kind: "vertex.checkpoint", at: this.now, vertex: this.instance, attempt: this.attempt, data: { label: yielded.label, steps: this.steps } });
        }
        answer = undefined;
        continue;
      }
      this.asked = yielded.op;
      const index = this.steps++;
      // A step before the carried checkpoint ran in the earlier attempt: the body is deterministic, so it asks the same again.
      const id = this.carried[index] ?? journalId(this.run, this.instance, this.attempt, index, yielded.op, yielded.args);
      const recorded = this.journal.get(id);
      if (recorded === undefined) return { kind: "step", request: { index, op: yielded.op, id, args: yielded.args }, drafts };
      answer = recorded;
    }
  }

  /** How many checkpoints the attempt has passed, recorded before or now: the next one's ordinal. */
  get checkpointsPassed(): number {
    return this.checkpoints;
  }

  /** Feeds the answer to the last step (its value, or its failure thrown in) and runs on to the next yield. */
  private step(answer: JournalRecord | undefined): IteratorResult<Yielded, BlockOutcome> {
    if (answer === undefined) return this.evaluation.next(null);
    if ("failure" in answer) return this.evaluation.throw(new StdFailure(answer.failure.kind, answer.failure.message));
    const step = this.asked === null ? undefined : implementations.get(this.asked);
    if (step?.kind !== "step") throw new Error(`no step ${this.asked} to answer`);
    return this.evaluation.next(step.value(answer.result));
  }

  private finish(drafts: Draft[], outcome: { readonly result: Json } | { readonly failure: Failure }): BodyProgress {
    this.finished = true;
    this.evaluation.return({ kind: "end", last: null });
    // Written out rather than spread from a common part: a spread copies it member by member, for every attempt.
    const { now: at, instance: vertex, attempt } = this;
    drafts.push("failure" in outcome ? { kind: "vertex.failed", at, vertex, attempt, data: { failure: outcome.failure } } : { kind: "vertex.completed", at, vertex, attempt, data: { result: outcome.result } });
    return { kind: "finished", drafts };
  }
}

/** What is wrong with an argument of a unit's attempt (the first), or null: checked before its body or loop starts. */
export function invalidArgument(unit: Unit, args: Readonly<Record<string, Json>>, types: Readonly<Record<string, JsonSchema>>): string | null {
  for (const param of unit.params) {
    const value = args[param.name] ?? null;
    if (value === null && param.optional) continue;
    const problem = validateValue(value, param.type, types);
    if (problem !== null) return `the argument \`${param.name}\` of \`${unit.name}\` ${problem}`;
  }
  return null;
}

/**
 * What a body (or an agent's prompt) reads: its arguments, and nothing of the workflow. A class,
 * not closures: a body is started for every attempt.
 */
export class BodyScope implements Scope {
  constructor(
    readonly ir: Scope["ir"],
    private readonly args: Readonly<Record<string, Json>>,
  ) {}

  param(name: string): Json {
    return this.args[name] ?? null;
  }

  let(id: string): Json {
    throw new Error(`the let \`${id}\` is read before it is bound`);
  }

  item(id: string): Json {
    throw new Error(`the item of \`${id}\` is read outside its loop`);
  }

  vertex(id: string): Json {
    throw new Error(`a call of \`${id}\` in a body`);
  }

  signal(id: string): Json {
    throw new Error(`a signal \`${id}\` in a body`);
  }
}
