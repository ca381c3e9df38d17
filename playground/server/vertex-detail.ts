import type { VertexStatus } from "../../interpreter/core/state.ts";
import type { RunState } from "../../interpreter/core/state.ts";
import type { Entry, Failure, Json, SandboxUse } from "../../interpreter/ledger/entry.ts";
import { ModelAnswer, modelOp } from "../../interpreter/models/model-answer.ts";
import type { LineItem, ReceiptBody } from "../../interpreter/receipts/receipt.ts";

/** One step of a vertex instance as the ledger recorded it, in any attempt. */
export type StepView =
  | { readonly outcome: "completed"; readonly seq: number; readonly attempt: number; readonly index: number; readonly op: string; readonly args: Record<string, Json>; readonly result: Json; readonly compute: number }
  | { readonly outcome: "failed"; readonly seq: number; readonly attempt: number; readonly index: number; readonly op: string; readonly args: Record<string, Json>; readonly failure: Failure; readonly compute: number };

/** A model call (a step of the agent loop's own op): the model that answered (null when none did), the ones tried before it, tokens and dollars. */
export interface ModelCallView {
  readonly seq: number;
  readonly attempt: number;
  readonly index: number;
  readonly turn: Json;
  readonly model: string | null;
  readonly tried: readonly Json[];
  readonly tokens: number;
  readonly usd: number;
  readonly failure: Failure | null;
}

/** `GET /api/runs/:id/vertices/:instance`. */
export interface VertexDetail {
  readonly run: string;
  readonly instance: string;
  readonly status: VertexStatus;
  readonly attempt: number;
  readonly inputs: Readonly<Record<string, Json>>;
  /** The result once completed, else null. */
  readonly output: Json;
  readonly failure: Failure | null;
  /** Why it was skipped: the instance that failed. */
  readonly skippedBecause: string | null;
  readonly steps: readonly StepView[];
  readonly modelCalls: readonly ModelCallView[];
  readonly retries: LineItem["retries"];
  readonly checkpoints: readonly { readonly seq: number; readonly attempt: number; readonly label: string; readonly steps: number }[];
  /** Each attempt's start: its work tree and sandbox (driver, isolation, profile, the effects it allowed). */
  readonly starts: readonly { readonly seq: number; readonly attempt: number; readonly workTree: string; readonly sandbox: SandboxUse | null }[];
  /** What the receipt counts for it: attempts, outcome, tokens, dollars, compute and wall, per model. */
  readonly spend: LineItem | null;
}

/** The detail of one vertex instance, from the run's state, its ledger and the receipt of it; null when the run has no such instance. */
export function vertexDetail(state: RunState, entries: readonly Entry[], receipt: ReceiptBody, instance: string): VertexDetail | null {
  const vertex = state.vertices.get(instance);
  if (vertex === undefined) return null;
  const steps: StepView[] = [];
  const modelCalls: ModelCallView[] = [];
  const checkpoints: VertexDetail["checkpoints"][number][] = [];
  const starts: VertexDetail["starts"][number][] = [];
  for (const entry of entries) {
    if (!("vertex" in entry) || entry.vertex !== instance) continue;
    switch (entry.kind) {
      case "step.completed": {
        const { index, op, args, result, compute } = entry.data;
        steps.push({ outcome: "completed", seq: entry.seq, attempt: entry.attempt, index, op, args, result, compute });
        if (op === modelOp) {
          const answer = ModelAnswer.safeParse(result);
          modelCalls.push({
            seq: entry.seq,
            attempt: entry.attempt,
            index,
            turn: args["turn"] ?? null,
            model: answer.success ? answer.data.model : null,
            tried: answer.success ? (answer.data.tried as Json[]) : [],
            tokens: entry.data.tokens ?? 0,
            usd: entry.data.usd ?? 0,
            failure: null,
          });
        }
        break;
      }
      case "step.failed": {
        const { index, op, args, failure, compute } = entry.data;
        steps.push({ outcome: "failed", seq: entry.seq, attempt: entry.attempt, index, op, args, failure, compute });
        if (op === modelOp) {
          modelCalls.push({ seq: entry.seq, attempt: entry.attempt, index, turn: args["turn"] ?? null, model: null, tried: (entry.data.tried ?? []) as Json[], tokens: entry.data.tokens ?? 0, usd: entry.data.usd ?? 0, failure });
        }
        break;
      }
      case "vertex.checkpoint":
        checkpoints.push({ seq: entry.seq, attempt: entry.attempt, label: entry.data.label, steps: entry.data.steps });
        break;
      case "vertex.started":
        starts.push({ seq: entry.seq, attempt: entry.attempt, workTree: entry.data.workTree, sandbox: entry.data.sandbox ?? null });
        break;
      default:
        // The other entries on a vertex (scheduled, completed, failed, retrying…) are in its state and its receipt line.
        break;
    }
  }
  const spend = receipt.lineItems.find((item) => item.instance === instance) ?? null;
  return {
    run: state.run,
    instance,
    status: vertex.status,
    attempt: vertex.attempt,
    inputs: vertex.args,
    output: vertex.status === "completed" ? vertex.result : null,
    failure: vertex.failure,
    skippedBecause: vertex.because,
    steps,
    modelCalls,
    retries: spend?.retries ?? [],
    checkpoints,
    starts,
    spend,
  };
}
