import type { Entry, EntryOf } from "../ledger/entry.ts";
import { chargeWall, initialBudget, reserveIn, setEnvelope } from "./budget.ts";
import { ItemMap } from "./item-map.ts";
import { type FanOutItem, itemsAround, placementOf } from "./placement.ts";
import type { RunPlan } from "./plan.ts";
import type { GateState, RunState, VertexState } from "./state.ts";

/**
 * The fold: a run's state is `entries.reduce(apply)`. It decides nothing,
 * it records: every decision was made by `decide` (or the body, or the
 * world) and is already in the entry. It updates the state in place, the
 * state being the fold's own accumulator, never shared.
 */

export function initialState(entry: EntryOf<"run.started">): RunState {
  return {
    run: entry.run,
    head: { seq: entry.seq, hash: entry.hash },
    at: entry.at,
    workflow: entry.data.workflow,
    irHash: entry.data.irHash,
    args: entry.data.args,
    seed: entry.data.seed,
    options: entry.data.options,
    status: "running",
    vertices: new Map(),
    journal: new Map(),
    fanOuts: new Map(),
    barriers: new Set(),
    timers: new Map(),
    parked: new Map(),
    gates: new Map(),
    signals: new Map(),
    budget: initialBudget(entry.data.ir, entry.data.workflow, entry.at),
    abortReason: null,
    resetAt: 0,
    active: 0,
    result: null,
    failures: [],
  };
}

export function apply(state: RunState, entry: Entry, plan: RunPlan): void {
  state.head = { seq: entry.seq, hash: entry.hash };
  chargeWall(state, entry.at);
  state.at = entry.at;
  record(state, entry, plan);
  touch(state, entry, plan);
}

function record(state: RunState, entry: Entry, plan: RunPlan): void {
  switch (entry.kind) {
    case "run.started":
      throw new Error("run.started is the first entry only");
    case "run.resumed":
      // The process that ran them is gone: what was scheduled or running is run again, same attempt.
      for (const [key, vertex] of state.vertices) {
        if (vertex.status === "scheduled" || vertex.status === "running") {
          vertex.status = "interrupted";
          leaveFlight(state, plan, key);
        }
      }
      if (state.status === "parked" && state.parked.size === 0) state.status = "running";
      state.resetAt = entry.seq;
      return;
    case "run.completed":
      state.status = "completed";
      state.result = entry.data.result;
      return;
    case "run.failed":
      state.status = "failed";
      state.failures = entry.data.failures;
      return;
    case "run.parked":
      state.parked.set(entry.data.instance, entry.data.waitingFor);
      state.status = "parked";
      return;
    case "vertex.scheduled": {
      const previous = state.vertices.get(entry.vertex);
      // The same attempt again (after a crash) keeps what it had; a retry starts from its carried checkpoint, if any.
      const same = previous !== undefined && previous.attempt === entry.attempt && previous.status === "interrupted";
      const carried = previous?.carried ?? null;
      const vertex: VertexState = {
        status: "scheduled",
        attempt: entry.attempt,
        args: entry.data.args,
        result: null,
        failure: null,
        because: null,
        checkpoints: same ? previous.checkpoints : noCheckpoints,
        stepIds: same ? previous.stepIds : carried === null ? noStepIds : [...carried.ids],
        carried,
      };
      state.vertices.set(entry.vertex, vertex);
      state.active++;
      // Its worst case is held back until the attempt ends, and its items have begun (they count against `concurrency`).
      const placement = placementOf(plan, entry.vertex);
      if (placement.vertex !== undefined) reserveIn(state.budget.reserved, placement.vertex.cost.perAttempt, 1);
      for (const { instance, item } of placement.items) state.fanOuts.get(instance)?.begun.set(item, true);
      return;
    }
    case "vertex.started":
      vertexOf(state, entry).status = "running";
      return;
    case "step.completed":
      state.budget.spent.compute += entry.data.compute;
      if (entry.data.tokens !== undefined) state.budget.spent.tokens += entry.data.tokens;
      if (entry.data.usd !== undefined) state.budget.spent.usd += entry.data.usd;
      state.journal.set(entry.data.id, { result: entry.data.result });
      ownStepIds(vertexOf(state, entry))[entry.data.index] = entry.data.id;
      return;
    case "step.failed":
      state.budget.spent.compute += entry.data.compute;
      state.journal.set(entry.data.id, { failure: entry.data.failure });
      ownStepIds(vertexOf(state, entry))[entry.data.index] = entry.data.id;
      return;
    case "vertex.checkpoint":
      ownCheckpoints(vertexOf(state, entry)).push({ label: entry.data.label, steps: entry.data.steps });
      return;
    case "vertex.completed": {
      const vertex = vertexOf(state, entry);
      vertex.status = "completed";
      vertex.result = entry.data.result;
      leaveFlight(state, plan, entry.vertex);
      return;
    }
    case "vertex.failed":
    case "vertex.aborted": {
      const vertex = vertexOf(state, entry);
      vertex.status = "failed";
      vertex.failure = entry.data.failure;
      leaveFlight(state, plan, entry.vertex);
      return;
    }
    case "vertex.retrying": {
      const vertex = vertexOf(state, entry);
      const last = vertex.checkpoints.at(-1);
      if (last !== undefined) {
        vertex.carried = { attempt: vertex.attempt, ordinal: vertex.checkpoints.length - 1, label: last.label, ids: vertex.stepIds.slice(0, last.steps) };
      }
      vertex.status = "retrying";
      vertex.attempt = entry.attempt;
      vertex.checkpoints = noCheckpoints;
      vertex.stepIds = noStepIds;
      return;
    }
    case "vertex.skipped":
      state.vertices.set(entry.vertex, {
        status: "skipped",
        attempt: entry.attempt,
        args: {},
        result: null,
        failure: null,
        because: entry.data.because,
        checkpoints: noCheckpoints,
        stepIds: noStepIds,
        carried: null,
      });
      return;
    case "fanout.expanded":
      state.fanOuts.set(entry.data.instance, { items: entry.data.items, begun: new ItemMap(entry.data.items), dropped: new Map(), changedAt: new ItemMap(entry.data.items) });
      return;
    case "fanout.dropped":
      fanOutOf(state, entry.data.instance).dropped.set(entry.data.item, entry.data.failure);
      return;
    case "barrier.passed":
      state.barriers.add(entry.data.instance);
      unpark(state, entry.data.instance);
      return;
    case "timer.set":
      state.timers.set(entry.data.timer, { until: entry.data.until, fired: false });
      return;
    case "timer.fired": {
      const timer = state.timers.get(entry.data.timer);
      if (timer === undefined) throw new Error(`entry ${entry.seq}: timer ${entry.data.timer} was never set`);
      timer.fired = true;
      return;
    }
    case "gate.decided":
      decideGate(state, entry.data.instance, { decision: entry.data.decision, by: entry.data.approver.name, comment: entry.data.comment });
      return;
    case "gate.defaulted":
      decideGate(state, entry.data.instance, { decision: entry.data.decision, by: null, comment: null });
      return;
    case "signal.received":
      state.signals.set(entry.data.instance, entry.data.value);
      unpark(state, entry.data.instance);
      return;
    case "run.paused":
      state.status = "paused";
      return;
    case "run.unpaused":
      if (state.status === "paused") state.status = state.parked.size > 0 ? "parked" : "running";
      return;
    case "run.cancelled":
      state.status = "cancelled";
      // It waits for nothing any more.
      state.parked.clear();
      return;
    case "notification.sent":
      // A record of what the world was told; nothing the run decides on.
      return;
    case "budget.refused":
      state.budget.stopped = true;
      return;
    case "budget.set":
      setEnvelope(state.budget, entry.data.ceilings);
      if (state.status === "aborted") state.status = "running";
      state.abortReason = null;
      return;
    case "run.aborted":
      state.status = "aborted";
      state.abortReason = entry.data.reason;
      return;
  }
}

/**
 * The lists a vertex state starts with: one empty list each, shared until
 * the fold first adds to one (ownStepIds, ownCheckpoints), and frozen, so
 * that a write anywhere else fails at once. Most attempts pass no
 * checkpoint and many run no step: two new lists for every vertex
 * instance were a third of the objects the state keeps of it, which the
 * collector copies and marks again as the state grows.
 */
const noCheckpoints = Object.freeze([]) as unknown as VertexState["checkpoints"];
const noStepIds = Object.freeze([]) as unknown as VertexState["stepIds"];

function ownStepIds(vertex: VertexState): VertexState["stepIds"] {
  if (vertex.stepIds === noStepIds) vertex.stepIds = [];
  return vertex.stepIds;
}

function ownCheckpoints(vertex: VertexState): VertexState["checkpoints"] {
  if (vertex.checkpoints === noCheckpoints) vertex.checkpoints = [];
  return vertex.checkpoints;
}

/** A gate decided: the run no longer waits there (and runs again when it waited nowhere else). */
function decideGate(state: RunState, instance: string, gate: GateState): void {
  state.gates.set(instance, gate);
  unpark(state, instance);
}

function unpark(state: RunState, instance: string): void {
  state.parked.delete(instance);
  if (state.status === "parked" && state.parked.size === 0) state.status = "running";
}

/** An attempt is no longer in flight: it frees its place in the run-wide concurrency and its reservation of the budget. */
function leaveFlight(state: RunState, plan: RunPlan, instance: string): void {
  state.active--;
  const vertex = placementOf(plan, instance).vertex;
  if (vertex !== undefined) reserveIn(state.budget.reserved, vertex.cost.perAttempt, -1);
}

function vertexOf(state: RunState, entry: { readonly vertex: string; readonly seq: number }): VertexState {
  const vertex = state.vertices.get(entry.vertex);
  if (vertex === undefined) throw new Error(`entry ${entry.seq}: vertex ${entry.vertex} was never scheduled`);
  return vertex;
}

function fanOutOf(state: RunState, instance: string) {
  const fanOut = state.fanOuts.get(instance);
  if (fanOut === undefined) throw new Error(`fan-out ${instance} was never expanded`);
  return fanOut;
}

/**
 * Marks the fan-out items an entry changes something in, so that `decide`
 * looks at them again (memo.ts): a vertex's state, a nested fan-out, a
 * barrier, a timer of a retry or a sleep. Every entry that gives a vertex
 * a state marks its item, so `decide` takes an item never marked for one
 * whose vertices have none.
 */
function touch(state: RunState, entry: Entry, plan: RunPlan): void {
  let key: string;
  let element: ElementKind;
  switch (entry.kind) {
    case "vertex.scheduled":
    case "vertex.completed":
    case "vertex.failed":
    case "vertex.aborted":
    case "vertex.retrying":
    case "vertex.skipped":
      key = entry.vertex;
      element = "vertex";
      break;
    case "fanout.expanded":
      key = entry.data.instance;
      element = "fanOut";
      break;
    case "barrier.passed":
    case "run.parked":
    case "gate.decided":
    case "gate.defaulted":
    case "signal.received":
      // At an `approve` (a barrier) or at a node's `gate` (a vertex instance).
      key = entry.data.instance;
      element = "gate";
      break;
    case "timer.set":
    case "timer.fired": {
      const timer = entry.data.timer;
      const retry = timer.startsWith("retry:");
      key = retry ? timer.slice("retry:".length, timer.lastIndexOf("#")) : timer;
      element = retry ? "vertex" : "barrier";
      break;
    }
    default:
      return;
  }
  let items: readonly FanOutItem[];
  if (element === "vertex") {
    items = placementOf(plan, key).items;
  } else {
    const open = key.indexOf("[");
    items = open === -1 ? [] : itemsAround(plan, enclosingFanOut(plan, element, key.slice(0, open)), key, open);
  }
  for (const { instance, item } of items) state.fanOuts.get(instance)?.changedAt.set(item, entry.seq);
}

/** What an instance an entry names is an instance of: a gate is at an `approve` (a barrier) or at a node's `gate` (a vertex). */
type ElementKind = "vertex" | "fanOut" | "barrier" | "gate";

/** The fan-out an element lies directly in, or null at the top. */
function enclosingFanOut(plan: RunPlan, element: ElementKind, id: string): string | null {
  switch (element) {
    case "vertex":
      return plan.vertices.get(id)?.fanOut ?? null;
    case "fanOut":
      return plan.fanOuts.get(id)?.parent ?? null;
    case "barrier":
      return plan.barriers.get(id)?.fanOut ?? null;
    case "gate":
      return enclosingFanOut(plan, plan.barriers.has(id) ? "barrier" : "vertex", id);
  }
}
