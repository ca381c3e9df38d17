import { formatDuration } from "../../compiler/cost.ts";
import { StdFailure } from "../../stdlib/runtime/implementation.ts";
import { implementations } from "../../stdlib/runtime/index.ts";
import type { ModelCall } from "../core/agent-run.ts";
import type { BodyProgress, StepRequest } from "../core/body-run.ts";
import { startAttempt, type UnitRun } from "../core/unit-run.ts";
import { evaluatePure, Frame } from "../core/evaluate.ts";
import { instanceId, type RunPlan } from "../core/plan.ts";
import type { JournalRecord, RunState } from "../core/state.ts";
import type { Draft, Json, SandboxUse } from "../ledger/entry.ts";
import type { SandboxSession, WorkTreeStart } from "../sandbox/sandbox.ts";
import type { Sandboxes } from "../sandbox/sandboxes.ts";
import type { ModelCaller, ModelCallOutcome } from "./model-caller.ts";

/** What an attempt needs from the run it belongs to. */
export interface AttemptContext {
  readonly plan: RunPlan;
  readonly state: RunState;
  readonly sandboxes: Sandboxes;
  /** The directory under which each vertex instance has its work tree. */
  readonly workRoot: string;
  /** The project's store of checkpointed work trees' files. */
  readonly objects: string;
  /** Hands entries to the run loop, in order; they are recorded in one go. */
  readonly submit: (drafts: Draft[]) => void;
  /** The world's time, in ms since the epoch. */
  readonly clock: () => number;
  /** Aborted when the run stops (Ctrl-C, a lost lease): the attempt stops without recording anything more. */
  readonly stopped: AbortSignal;
  /** Makes agents' model calls; null where the run can call no model (its units have no agents). */
  readonly models: ModelCaller | null;
}

/**
 * Carries out one attempt of a vertex instance: acquires its sandbox, runs
 * its body (BodyRun) step by step, and hands what happens to the run loop
 * as entries: the attempt starting, each step's result, the body's
 * checkpoints and its end, or its abortion when its `timeout` passes.
 * Nothing here decides: the body and `decide` do.
 */
export async function runAttempt(
  context: AttemptContext,
  instance: string,
  attempt: number,
  args: Readonly<Record<string, Json>>,
  resumed: boolean,
): Promise<void> {
  const { plan, state, submit, clock } = context;
  const vertex = plan.vertices.get(instanceId(instance));
  const unit = vertex === undefined ? undefined : plan.units.get(vertex.unit);
  if (vertex === undefined || unit === undefined) throw new Error(`no unit for ${instance}`);
  const controller = new AbortController();
  const onStop = () => controller.abort();
  context.stopped.addEventListener("abort", onStop);
  // A run stopped before this attempt began (its decision was acted on after `stop()`): none of its steps may run now.
  if (context.stopped.aborted) controller.abort();
  let ended = false;
  const abort = (kind: string, message: string) => {
    if (ended || context.stopped.aborted) return;
    ended = true;
    controller.abort();
    submit([{ kind: "vertex.aborted", at: clock(), vertex: instance, attempt, data: { failure: { kind, message } } }]);
  };
  const timeout = unit.timeout === null ? null : timeoutOf(unit.timeout, plan, args);
  const timer = timeout === null ? null : setTimeout(() => abort("Timeout", `\`${unit.name}\` did not finish within its timeout of ${formatDuration(timeout)}`), timeout);
  // Set once the sandbox is acquired (lazily, below); a holder, since closures assign it.
  const held: { session: SandboxSession | null } = { session: null };
  try {
    const vertexState = state.vertices.get(instance);
    const carried = vertexState?.carried ?? null;
    let body: UnitRun;
    // A node has a sandbox, and so has an agent with tools, which run there; a verifier is code that decides, run here.
    let sandboxUse: SandboxUse | null = null;
    try {
      if (unit.kind === "node" || (unit.kind === "agent" && unit.tools.length > 0)) sandboxUse = context.sandboxes.use(unit.sandbox, unit.name, unit.effects);
      body = startAttempt(plan, state, instance, attempt, unit, args);
    } catch (error) {
      return abort("Failed", (error as Error).message);
    }
    // A resumed attempt keeps its tree once a step of its own is recorded: that step's effects are in it, and it does not
    // run again. Before that, the process that was killed may not have prepared the tree (a retry's restore from its
    // checkpoint, a first attempt's fresh tree), or was killed preparing it: it is prepared again. A retry starts from
    // the checkpoint it carries, or afresh.
    const ownSteps = (vertexState?.stepIds.length ?? 0) > (carried?.ids.length ?? 0);
    const start: WorkTreeStart =
      resumed && ownSteps ? { kind: "keep" } : carried !== null ? { kind: "restore", checkpoint: `${carried.attempt}-${carried.ordinal}` } : { kind: "fresh" };
    // The sandbox is acquired for the first step the journal does not answer (or checkpoint): a body of pure code,
    // or one resumed with every step recorded, never needs one.
    const sandbox = async (): Promise<SandboxSession | null> => {
      if (held.session !== null) return held.session;
      try {
        const { driver, profile } = context.sandboxes.resolve(unit.sandbox, unit.name);
        held.session = await driver.acquire({ workTree: `${context.workRoot}/${instance}`, effects: unit.effects, profile, start, objects: context.objects });
      } catch (error) {
        abort("Transient", `could not start a sandbox for \`${instance}\`: ${(error as Error).message}`);
        return null;
      }
      return ended || controller.signal.aborted ? null : held.session;
    };
    let ordinal = vertexState?.checkpoints.length ?? 0;
    /** Copies the tree at each checkpoint the body just passed: no step has run since, so it is the tree as it was there. */
    const saveCheckpoints = async (drafts: readonly Draft[]): Promise<boolean> => {
      for (const draft of drafts) {
        if (draft.kind !== "vertex.checkpoint") continue;
        const current = await sandbox();
        if (current === null) return false;
        await current.saveCheckpoint(`${attempt}-${ordinal++}`);
      }
      return true;
    };
    let at = clock();
    let progress: BodyProgress = body.resume(at);
    if (!(await saveCheckpoints(progress.drafts))) return;
    submit([{ kind: "vertex.started", at, vertex: instance, attempt, data: { workTree: instance, ...(sandboxUse === null ? {} : { sandbox: sandboxUse }) } }, ...progress.drafts]);
    while (progress.kind === "step") {
      const { request } = progress;
      if (request.call !== undefined) {
        const called = await callModel(context, request, request.call, controller.signal);
        if (ended || controller.signal.aborted) return;
        at = clock();
        progress = body.resume(at, called.record);
        submit([called.entry(at, instance, attempt), ...progress.drafts]);
        continue;
      }
      const session = await sandbox();
      if (session === null) return;
      const began = clock();
      const cpuBefore = await session.cpuMs();
      const reply = await runStep(session, request.op, request.id, request.args, controller.signal);
      if (ended || controller.signal.aborted) return;
      at = clock();
      progress = body.resume(at, reply);
      if (!(await saveCheckpoints(progress.drafts))) return;
      // The sandbox's account of the step, its charge against the run's compute: the CPU time its processes used where
      // the driver counts it (a cgroup), else the time the step held the sandbox.
      const cpuAfter = cpuBefore === null ? null : await session.cpuMs();
      const compute = cpuBefore === null || cpuAfter === null ? Math.max(0, at - began) : Math.max(0, Math.round(cpuAfter - cpuBefore));
      const data = { index: request.index, op: request.op, id: request.id, args: request.args, compute };
      const stepEntry: Draft =
        "failure" in reply
          ? { kind: "step.failed", at, vertex: instance, attempt, data: { ...data, failure: reply.failure } }
          : { kind: "step.completed", at, vertex: instance, attempt, data: { ...data, result: reply.result } };
      submit([stepEntry, ...progress.drafts]);
    }
    ended = true;
  } finally {
    if (timer !== null) clearTimeout(timer);
    context.stopped.removeEventListener("abort", onStop);
    await held.session?.release();
  }
}

/** A model call's record for the loop, and its entry: the answer with what it cost, or the route's failure with the models it tried. */
async function callModel(
  context: AttemptContext,
  request: StepRequest,
  call: ModelCall,
  signal: AbortSignal,
): Promise<{ readonly record: JournalRecord; readonly entry: (at: number, vertex: string, attempt: number) => Draft }> {
  const ref = { index: request.index, op: request.op, id: request.id, args: request.args, compute: 0 };
  const outcome: ModelCallOutcome =
    context.models === null ? { failure: { kind: "Failed", message: "this run has no model providers" }, tried: [] } : await context.models.call(call, signal);
  if ("failure" in outcome) {
    const { failure, tried } = outcome;
    return { record: { failure }, entry: (at, vertex, attempt) => ({ kind: "step.failed", at, vertex, attempt, data: { ...ref, failure, tried: [...tried] } }) };
  }
  const { answer } = outcome;
  const result = answer as unknown as Json;
  const spent = { tokens: answer.reply.usage.input + answer.reply.usage.output, ...(answer.usd === null ? {} : { usd: answer.usd }) };
  return { record: { result }, entry: (at, vertex, attempt) => ({ kind: "step.completed", at, vertex, attempt, data: { ...ref, ...spent, result } }) };
}

async function runStep(session: SandboxSession, op: string, stepId: string, args: Readonly<Record<string, Json>>, signal: AbortSignal): Promise<JournalRecord> {
  const step = implementations.get(op);
  if (step?.kind !== "step") return { failure: { kind: "Failed", message: `no step ${op} in this flow` } };
  try {
    return { result: await step.run({ session, stepId, signal }, args) };
  } catch (error) {
    if (error instanceof StdFailure) return { failure: { kind: error.kind, message: error.message } };
    return { failure: { kind: "Failed", message: `${op} failed: ${(error as Error).message}` } };
  }
}

/** A unit's `timeout` clause, in ms: a constant, or an expression of its arguments. */
function timeoutOf(expr: Parameters<typeof evaluatePure>[0], plan: RunPlan, args: Readonly<Record<string, Json>>): number {
  const value = evaluatePure(
    expr,
    new Frame({
      ir: plan.ir,
      param: (name) => args[name] ?? null,
      let: () => null,
      item: () => null,
      vertex: () => null,
      signal: () => null,
    }),
  );
  return typeof value === "number" ? value : 0;
}
