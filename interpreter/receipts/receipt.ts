import { z } from "zod";
import { RunCore } from "../core/advance.ts";
import { Budget, CostUnit } from "../../compiler/ir/cost.ts";
import { splitInstance } from "../core/plan.ts";
import { type Entry, Failure, GateDecision, type Json, SandboxUse, Spent } from "../ledger/entry.ts";
import { Isolation } from "../sandbox/profile.ts";

/**
 * A receipt: what a run did and what it cost, up to one head of its
 * ledger, signed by the runner's key (signature.ts) so that it can be
 * handed to someone who will never see the ledger. Its body is a pure
 * function of the entries (`receiptOf`): the same ledger gives the same
 * body, byte for byte, so whoever has the ledger can compute it again and
 * compare.
 *
 * Defined once, here; `flow receipt` writes it and `flow receipt --verify`
 * reads it back with these schemas.
 */

export const receiptVersion = 2;

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Millis = z.int().nonnegative();

/** Where the run stood at the head: its state's status (core/state.ts). */
export const ReceiptStatus = z.enum(["running", "parked", "paused", "aborted", "completed", "failed", "cancelled"]);
export type ReceiptStatus = z.infer<typeof ReceiptStatus>;

/** What became of a vertex instance by the head. `running`: scheduled, in flight, or waiting for a retry. */
export const LineOutcome = z.enum(["running", "completed", "failed", "skipped", "refused"]);
export type LineOutcome = z.infer<typeof LineOutcome>;

/** What one model was charged for one vertex instance. */
export const ModelCharge = z.strictObject({ tokens: z.number().nonnegative(), usd: z.number().nonnegative() });
export type ModelCharge = z.infer<typeof ModelCharge>;

/** One vertex instance (`migrate_package[3]`): how many attempts it took, why it was retried, what it spent. */
export const LineItem = z.strictObject({
  instance: z.string(),
  /** The IR vertex it is an instance of (the instance key up to its first `[`). */
  vertex: z.string(),
  /** The unit the vertex calls; null when the run's workflow has no such vertex (a ledger flow could not have written). */
  unit: z.string().nullable(),
  /** The highest attempt dispatched (`vertex.scheduled`); 0 when none was (skipped, or refused at once). */
  attempts: z.int().nonnegative(),
  /** Each `vertex.retrying`: the attempt it leads to, why, and after what backoff (ms). */
  retries: z.array(z.strictObject({ attempt: z.int().positive(), reason: Failure, delay: Millis })),
  outcome: LineOutcome,
  tokens: z.number().nonnegative(),
  usd: z.number().nonnegative(),
  byModel: z.record(z.string(), ModelCharge),
  /** The sum of its steps' compute (ms), over every attempt. */
  compute: Millis,
  /** From its first `vertex.started` to its last end (completed, failed, aborted), or to the head while it runs; 0 if it never started. */
  wall: Millis,
  /** Each `vertex.checkpoint` passed, in order. */
  checkpoints: z.array(z.strictObject({ attempt: z.int().positive(), label: z.string() })),
  /** The sandbox its latest attempt ran in (driver, isolation, profile, effects allowed); null if it never started, or its ledger predates the record. */
  sandbox: SandboxUse.nullable(),
});
export type LineItem = z.infer<typeof LineItem>;

export const ReceiptBody = z.strictObject({
  v: z.literal(receiptVersion),
  run: z.string(),
  workflow: z.string(),
  irHash: Hex64,
  /** The last entry the receipt covers: a receipt speaks for the ledger up to here and no further. */
  head: z.strictObject({ seq: z.int().nonnegative(), hash: Hex64 }),
  status: ReceiptStatus,
  /** The `at` of `run.started` and of the head (ms since the epoch). */
  startedAt: Millis,
  headAt: Millis,
  /** The envelope in force at the head: the workflow's `budget`, or the ceilings of the latest `budget.set`. */
  ceilings: Budget,
  /** The latest `budget.set`, if the ceilings are not the workflow's own. */
  ceilingsSet: z.strictObject({ seq: z.int().nonnegative(), by: z.string() }).nullable(),
  /** What the whole run spent (see `receiptOf` for how compute and wall are counted). */
  spent: Spent,
  /** What it spent since the ceilings were set: what they are measured against (a `budget.set` starts from nothing spent). Equal to `spent` without one. */
  spentAgainstCeilings: Spent,
  /** One per vertex instance, in the order the ledger first names them. */
  lineItems: z.array(LineItem),
  /**
   * The least isolation any vertex ran with: `none` if one ran on the
   * `process` driver (its effects were checked, not enforced), then
   * `namespaces` (bwrap), then `vm`; null when no vertex recorded its sandbox.
   */
  isolation: Isolation.nullable(),
  /** Attempts not dispatched because their worst case exceeded what remained (`budget.refused`). */
  refusals: z.array(
    z.strictObject({ seq: z.int().nonnegative(), instance: z.string(), attempt: z.int().positive(), unit: CostUnit, need: z.number().nonnegative().nullable(), remaining: z.number() }),
  ),
  /** Every `run.aborted`, in order (a `budget.set` can let an aborted run go on, and it can abort again). */
  aborts: z.array(z.strictObject({ seq: z.int().nonnegative(), reason: z.string() })),
  /** Decisions at gates: a person's (`by`, their name and public key, as signed in the ledger) or a timeout's default (`by` null). */
  gates: z.array(
    z.strictObject({
      seq: z.int().nonnegative(),
      instance: z.string(),
      decision: GateDecision,
      comment: z.string().nullable(),
      by: z.strictObject({ name: z.string(), key: z.string() }).nullable(),
    }),
  ),
});
export type ReceiptBody = z.infer<typeof ReceiptBody>;

/** A signed receipt: the body, who signed it (a name and an Ed25519 public key as text), and the signature (signature.ts says over what). */
export const Receipt = z.strictObject({
  body: ReceiptBody,
  signer: z.strictObject({ name: z.string(), key: z.string() }),
  /** Ed25519, 64 bytes in base64 with its padding. */
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
});
export type Receipt = z.infer<typeof Receipt>;

const nothingSpent = (): Spent => ({ tokens: 0, usd: 0, compute: 0, wall: 0 });

interface ItemTally {
  readonly instance: string;
  readonly vertex: string;
  readonly unit: string | null;
  attempts: number;
  readonly retries: LineItem["retries"];
  outcome: LineOutcome;
  compute: number;
  tokens: number;
  usd: number;
  readonly byModel: Record<string, ModelCharge>;
  startedAt: number | null;
  endedAt: number | null;
  readonly checkpoints: LineItem["checkpoints"];
  sandbox: SandboxUse | null;
}

/**
 * The receipt body of a run's ledger, up to its last entry (`entries` in
 * seq order, from `run.started`). Counted as follows:
 *
 * - **status**, the **ceilings** and what was spent against them: the
 *   fold's own (the run's state at the head, core/apply.ts), so that a
 *   receipt's figures are the ones the ceilings were enforced with; what
 *   was spent in all adds up every envelope's;
 * - **compute**: the sum of `compute` (ms the sandbox spent) over every
 *   `step.completed` and `step.failed`: a step journalled in one attempt
 *   and carried into a retry was paid for once, and counts once;
 * - **wall**: the run's active time, as core/budget.ts charges it: the
 *   time between entries while the run was neither parked at a gate nor
 *   aborted. Waiting for people, or for a new envelope, is not the run's
 *   doing; waiting on its own timers (a `sleep`, a retry's backoff) and
 *   the time between a crash and its resume are counted;
 * - **tokens**, **usd**: what each model call was charged (its `tokens`
 *   and `usd`: the usage the provider reported, priced at the IR's price
 *   of the model that answered), per vertex and per model.
 */
export function receiptOf(entries: readonly Entry[]): ReceiptBody {
  const first = entries[0];
  const head = entries.at(-1);
  if (first === undefined || head === undefined || first.kind !== "run.started") throw new Error("a receipt needs a ledger that begins with run.started");
  const workflow = first.data.ir.workflows.find((w) => w.name === first.data.workflow);
  if (workflow === undefined) throw new Error(`run ${first.run}: its IR has no workflow \`${first.data.workflow}\``);
  const units = new Map(workflow.vertices.map((v) => [v.id, v.unit]));

  const items = new Map<string, ItemTally>();
  const itemOf = (instance: string): ItemTally => {
    let item = items.get(instance);
    if (item === undefined) {
      const { id } = splitInstance(instance);
      item = { instance, vertex: id, unit: units.get(id) ?? null, attempts: 0, retries: [], outcome: "running", compute: 0, tokens: 0, usd: 0, byModel: {}, startedAt: null, endedAt: null, checkpoints: [], sandbox: null };
      items.set(instance, item);
    }
    return item;
  };

  // The run's status, envelope and what it spent are the fold's own (core/apply.ts, core/budget.ts): the figures the
  // ceilings were enforced with. What it spent in all adds up every envelope's.
  const core = new RunCore(first);
  const before = nothingSpent();
  let ceilingsSet: ReceiptBody["ceilingsSet"] = null;
  const refusals: ReceiptBody["refusals"] = [];
  const aborts: ReceiptBody["aborts"] = [];
  const gates: ReceiptBody["gates"] = [];

  for (const entry of entries.slice(1)) {
    if (entry.kind === "budget.set") for (const unit of costUnits) before[unit] += core.state.budget.spent[unit];
    core.fold(entry);
    switch (entry.kind) {
      case "run.started":
        throw new Error(`entry ${entry.seq}: run.started is the first entry only`);
      case "run.resumed":
      case "run.completed":
      case "run.failed":
      case "run.parked":
      case "fanout.expanded":
      case "fanout.dropped":
      case "barrier.passed":
      case "signal.received":
      case "notification.sent":
      case "run.paused":
      case "run.unpaused":
      case "run.cancelled":
      case "timer.set":
      case "timer.fired":
        break;
      case "vertex.scheduled": {
        const item = itemOf(entry.vertex);
        item.attempts = Math.max(item.attempts, entry.attempt);
        item.outcome = "running";
        break;
      }
      case "vertex.started": {
        const item = itemOf(entry.vertex);
        item.startedAt ??= entry.at;
        item.outcome = "running";
        item.sandbox = entry.data.sandbox ?? item.sandbox;
        break;
      }
      case "step.completed": {
        const item = itemOf(entry.vertex);
        item.compute += entry.data.compute;
        if (entry.data.tokens !== undefined) chargeModel(item, entry.data.result, entry.data.tokens, entry.data.usd ?? 0);
        break;
      }
      case "step.failed":
        itemOf(entry.vertex).compute += entry.data.compute;
        break;
      case "vertex.checkpoint":
        itemOf(entry.vertex).checkpoints.push({ attempt: entry.attempt, label: entry.data.label });
        break;
      case "vertex.completed":
        ended(itemOf(entry.vertex), entry, "completed");
        break;
      case "vertex.failed":
      case "vertex.aborted":
        ended(itemOf(entry.vertex), entry, "failed");
        break;
      case "vertex.retrying": {
        const item = itemOf(entry.vertex);
        item.retries.push({ attempt: entry.attempt, reason: entry.data.reason, delay: entry.data.delay });
        item.outcome = "running";
        break;
      }
      case "vertex.skipped":
        itemOf(entry.vertex).outcome = "skipped";
        break;
      case "budget.refused":
        itemOf(entry.vertex).outcome = "refused";
        refusals.push({ seq: entry.seq, instance: entry.vertex, attempt: entry.attempt, unit: entry.data.unit, need: entry.data.need, remaining: entry.data.remaining });
        break;
      case "budget.set":
        ceilingsSet = { seq: entry.seq, by: entry.data.by };
        break;
      case "run.aborted":
        aborts.push({ seq: entry.seq, reason: entry.data.reason });
        break;
      case "gate.decided":
        gates.push({ seq: entry.seq, instance: entry.data.instance, decision: entry.data.decision, comment: entry.data.comment, by: { name: entry.data.approver.name, key: entry.data.approver.key } });
        break;
      case "gate.defaulted":
        gates.push({ seq: entry.seq, instance: entry.data.instance, decision: entry.data.decision, comment: null, by: null });
        break;
      default:
        return unreachable(entry);
    }
  }

  const lineItems = [...items.values()].map((item): LineItem => {
    const end = item.outcome === "running" ? head.at : (item.endedAt ?? head.at);
    return {
      instance: item.instance,
      vertex: item.vertex,
      unit: item.unit,
      attempts: item.attempts,
      retries: item.retries,
      outcome: item.outcome,
      tokens: item.tokens,
      usd: item.usd,
      byModel: item.byModel,
      compute: item.compute,
      wall: item.startedAt === null ? 0 : Math.max(0, end - item.startedAt),
      checkpoints: item.checkpoints,
      sandbox: item.sandbox,
    };
  });
  const isolations = new Set(lineItems.flatMap((item) => (item.sandbox === null ? [] : [item.sandbox.isolation])));

  return {
    v: receiptVersion,
    run: first.run,
    workflow: first.data.workflow,
    irHash: first.data.irHash,
    head: { seq: head.seq, hash: head.hash },
    status: core.state.status,
    startedAt: first.at,
    headAt: head.at,
    ceilings: core.state.budget.ceilings,
    ceilingsSet,
    spent: sumSpent(before, core.state.budget.spent),
    spentAgainstCeilings: { ...core.state.budget.spent },
    lineItems,
    isolation: Isolation.options.find((level) => isolations.has(level)) ?? null,
    refusals,
    aborts,
    gates,
  };
}

/** A model call's charge, to its vertex and to the model that answered (the `model` of its recorded answer). */
function chargeModel(item: ItemTally, result: Json, tokens: number, usd: number): void {
  item.tokens += tokens;
  item.usd += usd;
  const model = typeof result === "object" && result !== null && !Array.isArray(result) && typeof result["model"] === "string" ? result["model"] : "unknown";
  const charge = (item.byModel[model] ??= { tokens: 0, usd: 0 });
  charge.tokens += tokens;
  charge.usd += usd;
}

function ended(item: ItemTally, entry: { readonly at: number }, outcome: "completed" | "failed"): void {
  item.outcome = outcome;
  item.endedAt = entry.at;
}

function sumSpent(a: Spent, b: Spent): Spent {
  return { tokens: a.tokens + b.tokens, usd: a.usd + b.usd, compute: a.compute + b.compute, wall: a.wall + b.wall };
}

const costUnits = ["tokens", "usd", "compute", "wall"] as const;

function unreachable(entry: never): never {
  throw new Error(`an entry of an unknown kind: ${(entry as { kind: string }).kind}`);
}
