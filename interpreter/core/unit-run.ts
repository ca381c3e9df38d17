import type { Unit } from "../../compiler/ir/unit.ts";
import type { Json } from "../ledger/entry.ts";
import { AgentRun } from "./agent-run.ts";
import { BodyRun, type BodyProgress } from "./body-run.ts";
import type { RunPlan } from "./plan.ts";
import type { JournalRecord, RunState } from "./state.ts";

/** One attempt of a unit, run as far as its journal allows: a node's or verifier's body, or an agent's model loop. */
export interface UnitRun {
  readonly instance: string;
  readonly attempt: number;
  resume(at: number, reply?: JournalRecord): BodyProgress;
}

/** Starts an attempt of the instance from what the run's state holds of it (its checkpoints, what a retry carries). */
export function startAttempt(plan: RunPlan, state: RunState, instance: string, attempt: number, unit: Unit, args: Readonly<Record<string, Json>>): UnitRun {
  if (unit.kind === "agent") return new AgentRun(plan, state.run, instance, attempt, unit, args, state.journal);
  const vertex = state.vertices.get(instance);
  return new BodyRun(plan, state.run, instance, attempt, unit, args, state.journal, [...(vertex?.checkpoints ?? [])], vertex?.carried?.ids);
}
