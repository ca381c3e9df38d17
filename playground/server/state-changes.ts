import { z } from "zod";
import { parseBudget } from "../../cli/budget-option.ts";
import { resumeAnswer } from "../../cli/commands/resume.ts";
import { gateAnswer } from "../../cli/gate-answer.ts";
import { parkedInstance } from "../../cli/parked-instance.ts";
import type { ProjectConfig } from "../../cli/project-config.ts";
import { signalAnswer } from "../../cli/signal-answer.ts";
import { signDecision } from "../../interpreter/gates/decision.ts";
import { type Answer, type DriverOptions, RunDriver, RunHeld } from "../../interpreter/host/run-driver.ts";
import { Json, type Draft } from "../../interpreter/ledger/entry.ts";
import type { RunRecord, Store } from "../../interpreter/store/store.ts";
import { endedAs } from "../../interpreter/store/run-ended.ts";
import { ApiError } from "./api-error.ts";
import type { RunDrives } from "./run-drives.ts";
import { readRunOr409 } from "./run-lookup.ts";
import type { ServerSigner } from "./server-signer.ts";

/** What the state-changing routes take. */
export const DecideBody = z.strictObject({
  /** The gate's name (`merge`) or instance (`review[3]`); needed when the run waits at several. */
  gate: z.string().min(1).optional(),
  comment: z.string().nullable().optional(),
});
export const SignalBody = z.strictObject({ name: z.string().min(1), data: Json });
export const ControlBody = z.strictObject({});
export const ResumeBody = z.strictObject({
  /** A fresh envelope, as `flow resume --budget` takes it: `tokens=2M,usd=5.00,compute=2h,wall=3h`. */
  budget: z.string().min(1).optional(),
});

/** What a state change did: recorded entries (and the run is driven on here), or left a request for the process driving it. */
export type ChangeOutcome =
  | { readonly run: string; readonly outcome: "recorded"; readonly head: { readonly seq: number; readonly hash: string }; readonly driving: boolean; readonly said: string }
  | { readonly run: string; readonly outcome: "requested"; readonly request: "pause" | "cancel"; readonly said: string }
  | { readonly run: string; readonly outcome: "unchanged"; readonly said: string };

export interface ChangeContext {
  readonly store: Store;
  readonly drives: RunDrives;
  readonly driverOptions: () => DriverOptions;
  readonly signer: ServerSigner;
  readonly approvers: () => ProjectConfig["approvers"];
  readonly clock: () => number;
}


/**
 * The state changes `flow serve` makes for the holder of a token, through
 * the same code as `flow approve`, `signal`, `pause`, `cancel` and
 * `resume`: each answer is checked and made before anything is written
 * (so a refused request records nothing), then recorded as the server
 * takes the run over, which refuses it when the run moved on meanwhile.
 */
export class StateChanges {
  constructor(private readonly context: ChangeContext) {}

  /** Approve or reject at a gate: signed with the server's key, attributed to `holder`. */
  async decide(record: RunRecord, decision: "approve" | "reject", body: z.infer<typeof DecideBody>, holder: string): Promise<ChangeOutcome> {
    const { core } = await readRunOr409(this.context.store, record.id);
    const state = core.state;
    const instance = parkedInstance(state, "approval", body.gate);
    const signed = signDecision({ run: record.id, instance, decision, comment: body.comment ?? null, head: state.head.hash }, this.context.signer);
    const { answer, by } = gateAnswer(core, signed, this.context.approvers(), this.context.clock(), () => holder);
    return this.record(record.id, answer, `${decision === "approve" ? "approved" : "rejected"} at ${instance} by ${by} (signed with ${this.context.signer.name}'s key)`);
  }

  async signal(record: RunRecord, body: z.infer<typeof SignalBody>, holder: string): Promise<ChangeOutcome> {
    const { core } = await readRunOr409(this.context.store, record.id);
    const { answer, instance, signal } = signalAnswer(core, body.name, body.data, holder, this.context.clock());
    return this.record(record.id, answer, `signal "${signal}" delivered at ${instance} by ${holder}`);
  }

  /**
   * Pause or cancel. A run driven here or by another process is asked
   * through the store (its driver looks twice a second); one nobody drives
   * is paused or cancelled as the server takes it over.
   */
  async control(record: RunRecord, kind: "pause" | "cancel", holder: string): Promise<ChangeOutcome> {
    const ended = endedAs(record.status);
    if (ended !== null) throw new ApiError(409, "run_ended", `run ${record.id} has already ${ended}`);
    if (kind === "pause" && record.status === "paused") return { run: record.id, outcome: "unchanged", said: `run ${record.id} is paused already` };
    const at = this.context.clock();
    const ask = async (): Promise<ChangeOutcome> => {
      await this.context.store.requestControl(record.id, { kind, by: holder, at });
      return { run: record.id, outcome: "requested", request: kind, said: `asked the process driving run ${record.id} to ${kind} it` };
    };
    if (this.context.drives.has(record.id)) return ask();
    const head = await this.context.store.head(record.id);
    if (head === null) throw new ApiError(409, "no_entries", `run ${record.id} has no entries`);
    const draft: Draft = kind === "pause" ? { kind: "run.paused", at, data: { by: holder } } : { kind: "run.cancelled", at, data: { by: holder } };
    try {
      return await this.record(record.id, { head: head.hash, drafts: [draft] }, `${kind === "pause" ? "paused" : "cancelled"} by ${holder}`);
    } catch (error) {
      if (error instanceof RunHeld) return ask();
      throw error;
    }
  }

  async resume(record: RunRecord, body: z.infer<typeof ResumeBody>, holder: string): Promise<ChangeOutcome> {
    const ended = endedAs(record.status);
    if (ended !== null) throw new ApiError(409, "run_ended", `run ${record.id} has already ${ended}; nothing to resume`);
    let budget: ReturnType<typeof parseBudget> | undefined;
    try {
      budget = body.budget === undefined ? undefined : parseBudget(body.budget);
    } catch (error) {
      throw new ApiError(400, "bad_budget", `\`budget\`: ${(error as Error).message}`, "tokens=2M,usd=5.00,compute=2h,wall=3h; a unit not given keeps its ceiling");
    }
    const answer = await resumeAnswer(this.context.store, record.id, budget, holder);
    return this.record(record.id, answer, `resumed by ${holder}${budget === undefined ? "" : " with a fresh envelope"}`);
  }

  /** Takes the run over with the answer recorded, and drives it on here. */
  private async record(run: string, answer: Answer | undefined, said: string): Promise<ChangeOutcome> {
    const driver = await this.context.drives.start(run, () => RunDriver.resume(this.context.driverOptions(), run, answer));
    const head = driver.core.state.head;
    return { run, outcome: "recorded", head: { seq: head.seq, hash: head.hash }, driving: true, said: `run ${run}: ${said}` };
  }
}
