import { z } from "zod";
import { Budget, CostUnit } from "../../compiler/ir/cost.ts";
import { Ir } from "../../compiler/ir/schema.ts";
import { DriverName, Isolation } from "../sandbox/profile.ts";
import { TriedModel } from "../models/provider.ts";

/**
 * A ledger entry: one fact of a run, in the order the run learnt it. A run
 * is the fold of its entries (interpreter/core/apply.ts); nothing else is
 * a source of truth. Each kind's `data` is defined here once.
 *
 * Two sources write entries:
 * - the world (what the effect host observed: a step's output, a vertex
 *   starting, a timer firing, a process taking the run over), with the
 *   world's time in `at`;
 * - `decide` and the body evaluator (what follows from the entries before:
 *   a vertex scheduled, its result, a retry, the run's end), with the `at`
 *   of the entry that led to them, so that replay produces them again byte
 *   for byte.
 *
 * `entryOrigin` says which is which; replay takes world entries as recorded
 * and recomputes every other one.
 */

export const ledgerVersion = 1;

/** A JSON value: what crosses a node boundary, a step's recorded output, an argument. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export const Json: z.ZodType<Json> = z.json();

/** Why something failed: a std failure kind (`Timeout`, `Transient`, …) or a user kind from `fail`. */
export const Failure = z.strictObject({ kind: z.string(), message: z.string() });

/** What a vertex's sandbox was: its driver, how much that isolates, the profile, and the effects it allowed (`net`, `fs.write`). */
export const SandboxUse = z.strictObject({ driver: DriverName, isolation: Isolation, profile: z.string(), effects: z.array(z.string()) });
export type SandboxUse = z.infer<typeof SandboxUse>;
export type Failure = z.infer<typeof Failure>;

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** `at` is milliseconds since the Unix epoch; a vertex instance is `vertex[i][j]` inside fan-outs. */
const common = {
  v: z.literal(ledgerVersion),
  run: z.string(),
  seq: z.int().nonnegative(),
  at: z.int().nonnegative(),
  prev: Hex64,
};

const onVertex = { vertex: z.string(), attempt: z.int().positive() };

const entry = <K extends string, D extends z.ZodType>(kind: K, data: D) =>
  z.strictObject({ ...common, kind: z.literal(kind), data, hash: Hex64 });

const vertexEntry = <K extends string, D extends z.ZodType>(kind: K, data: D) =>
  z.strictObject({ ...common, ...onVertex, kind: z.literal(kind), data, hash: Hex64 });

/** Where a step's journal entry is: its index in the attempt's body, the op, and its journal id. */
/** `compute`: the milliseconds the sandbox spent on the step, its charge against the run's compute budget. */
/** A step and what it cost: `compute` for any step; `tokens` and `usd` for a model call (absent otherwise, and in ledgers before models). */
const stepRef = {
  index: z.int().nonnegative(),
  op: z.string(),
  id: Hex64,
  args: z.record(z.string(), Json),
  compute: z.int().nonnegative(),
  tokens: z.int().nonnegative().optional(),
  usd: z.number().nonnegative().optional(),
};

/** What a run has spent of its envelope: tokens, US dollars, compute and wall milliseconds. */
export const Spent = z.strictObject({ tokens: z.number().nonnegative(), usd: z.number().nonnegative(), compute: z.number().nonnegative(), wall: z.number().nonnegative() });
export type Spent = z.infer<typeof Spent>;

/**
 * A notification's delivery, as the ledger records it (host/webhook-delivery.ts
 * makes it): every POST, never the URL (a webhook URL is a secret).
 */
/** One POST: when it began (the caller's clock), the status if an answer came, why it did not deliver, how long it took (ms). */
export const DeliveryAttempt = z.strictObject({
  at: z.number().nonnegative(),
  /** The HTTP status; null when no answer came (no connection, the timeout). */
  status: z.int().nullable(),
  /** Why this attempt did not deliver; null when it did (a 2xx). */
  error: z.string().nullable(),
  ms: z.number().nonnegative(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

export const DeliveryRecord = z.strictObject({ delivered: z.boolean(), attempts: z.array(DeliveryAttempt).min(1) });
export type DeliveryRecord = z.infer<typeof DeliveryRecord>;

export const GateDecision = z.enum(["approve", "reject"]);
export type GateDecision = z.infer<typeof GateDecision>;

export const RunOptions = z.strictObject({
  /** How many vertex instances may run at once across the whole run. */
  concurrency: z.int().positive(),
  /** `flow run --sandbox DRIVER`: every node on this driver, whatever its profile says; kept for every process that drives the run. */
  sandbox: DriverName.optional(),
  /** `flow run --script FILE`: the scripted provider answers every model call from this fixture, for every process that drives the run. */
  script: z.string().optional(),
});
export type RunOptions = z.infer<typeof RunOptions>;


export const Entry = z.discriminatedUnion("kind", [
  /** The run's inputs, all of them: the program, its arguments, the seed of its randomness. */
  entry(
    "run.started",
    z.strictObject({
      irHash: Hex64,
      ir: Ir,
      workflow: z.string(),
      args: z.record(z.string(), Json),
      seed: Hex64,
      options: RunOptions,
    }),
  ),
  /** A process took the run over after another stopped (a crash, `flow resume`). */
  entry("run.resumed", z.strictObject({ by: z.string() })),
  /** The body reached its end: the workflow's result. */
  entry("run.completed", z.strictObject({ result: Json })),
  /** What failed, first failure first. */
  entry("run.failed", z.strictObject({ failures: z.array(z.strictObject({ at: z.string(), failure: Failure })) })),

  /** Decided: the instance runs (again after a crash, when `resumed`) with these arguments. */
  vertexEntry("vertex.scheduled", z.strictObject({ args: z.record(z.string(), Json), resumed: z.boolean() })),
  /** The world: the body began, in this work tree, with this sandbox (ledgers before sandboxes had drivers say none). */
  vertexEntry("vertex.started", z.strictObject({ workTree: z.string(), sandbox: SandboxUse.optional() })),
  /** The world: a step ran and returned this (its recorded form). */
  vertexEntry("step.completed", z.strictObject({ ...stepRef, result: Json })),
  /** The world: a step failed; for a model call, the models its route tried and why each gave no answer. */
  vertexEntry("step.failed", z.strictObject({ ...stepRef, failure: Failure, tried: z.array(TriedModel).optional() })),
  /** The body passed `checkpoint "label"` after `steps` steps. */
  vertexEntry("vertex.checkpoint", z.strictObject({ label: z.string(), steps: z.int().nonnegative() })),
  /** The body returned this result, validated against the unit's result type. */
  vertexEntry("vertex.completed", z.strictObject({ result: Json })),
  /** The body failed: `fail`, a failed step it did not handle, a value of the wrong type. */
  vertexEntry("vertex.failed", z.strictObject({ failure: Failure })),
  /** The world ended the attempt: its `timeout` passed, its sandbox died. */
  vertexEntry("vertex.aborted", z.strictObject({ failure: Failure })),
  /** Decided: the failed attempt is retried after `delay` ms (`attempt` is the next one). */
  vertexEntry("vertex.retrying", z.strictObject({ reason: Failure, delay: z.int().nonnegative() })),
  /** Decided: the instance will not run, because what it reads failed. */
  vertexEntry("vertex.skipped", z.strictObject({ because: z.string() })),

  /** Decided: a fan-out's list is known; it has this many items (after `limit`). */
  entry("fanout.expanded", z.strictObject({ instance: z.string(), items: z.int().nonnegative() })),
  /** Decided: a failed item of a fan-out with `tolerate` is dropped from its list. */
  entry("fanout.dropped", z.strictObject({ instance: z.string(), item: z.int().nonnegative(), failure: Failure })),
  /** Decided: a barrier passed (a verify held, a sleep ended, an approval or a signal arrived). */
  entry("barrier.passed", z.strictObject({ instance: z.string() })),
  /** Decided: the run waits for `until` (a sleep, a retry's backoff); the world says when it has passed. */
  entry("timer.set", z.strictObject({ timer: z.string(), until: z.int().nonnegative() })),
  /** The world: the timer's time has come. */
  entry("timer.fired", z.strictObject({ timer: z.string() })),
  /** Decided: the run parks at a gate or a signal until something outside answers; `show`, what a gate shows its approvers. */
  entry("run.parked", z.strictObject({ instance: z.string(), waitingFor: z.string(), show: Json.optional() })),
  /**
   * The world: a person decided at a gate. `signature` (Ed25519, base64) is
   * the approver's over `decisionPayload` (gates/decision.ts): run, gate,
   * decision, comment and `head`, the ledger's head hash they decided on.
   */
  entry(
    "gate.decided",
    z.strictObject({
      instance: z.string(),
      decision: GateDecision,
      comment: z.string().nullable(),
      approver: z.strictObject({ name: z.string(), key: z.string() }),
      head: Hex64,
      signature: z.string(),
    }),
  ),
  /** The world: someone paused the run (`flow pause`): nothing more is dispatched, what is in flight finishes. */
  entry("run.paused", z.strictObject({ by: z.string() })),
  /** The world: someone let a paused run go on (`flow resume`). */
  entry("run.unpaused", z.strictObject({ by: z.string() })),
  /** The world: someone cancelled the run (`flow cancel`): what was in flight was stopped, nothing more runs. */
  entry("run.cancelled", z.strictObject({ by: z.string() })),
  /** The world: the park notification for `instance` was POSTed to the project's webhook, each attempt as it went. */
  entry("notification.sent", z.strictObject({ instance: z.string(), record: DeliveryRecord })),
  /** The world: the value a `wait signal` waits for (`flow signal`), validated against its type before it was recorded. */
  entry("signal.received", z.strictObject({ instance: z.string(), value: Json, by: z.string() })),
  /** Decided: a gate's timeout passed without a decision; its declared default applies. */
  entry("gate.defaulted", z.strictObject({ instance: z.string(), decision: GateDecision })),

  /**
   * Decided: an attempt is not dispatched, because its one-attempt worst
   * case in `unit` (`need`; null when it has no bound to price) exceeds
   * what remains of the envelope (after what is in flight). Nothing more
   * is dispatched until a new envelope (`budget.set`).
   */
  vertexEntry("budget.refused", z.strictObject({ unit: CostUnit, need: z.number().nonnegative().nullable(), remaining: z.number() })),
  /** The world: a person gave the run a fresh envelope (`flow resume --budget`): these ceilings, from nothing spent. */
  entry("budget.set", z.strictObject({ ceilings: Budget, by: z.string() })),
  /** Decided: a refusal drained what was in flight; the run stops here until it is given a new envelope. */
  entry("run.aborted", z.strictObject({ reason: z.string(), spent: Spent, ceilings: Budget })),
]);

export type Entry = z.infer<typeof Entry>;
export type EntryKind = Entry["kind"];
export type EntryOf<K extends EntryKind> = Extract<Entry, { kind: K }>;

/** An entry before it joins the chain: what the core produces; the ledger adds `v`, `run`, `seq`, `prev` and `hash`. */
export type Draft = Entry extends infer E ? (E extends Entry ? Omit<E, "v" | "run" | "seq" | "prev" | "hash"> : never) : never;

/** Who writes an entry of this kind; replay takes `world` entries as recorded and recomputes the rest. */
export const entryOrigin: { readonly [K in EntryKind]: "world" | "decided" | "body" } = {
  "run.started": "world",
  "run.resumed": "world",
  "run.completed": "decided",
  "run.failed": "decided",
  "vertex.scheduled": "decided",
  "vertex.started": "world",
  "step.completed": "world",
  "step.failed": "world",
  "vertex.checkpoint": "body",
  "vertex.completed": "body",
  "vertex.failed": "body",
  "vertex.aborted": "world",
  "vertex.retrying": "decided",
  "vertex.skipped": "decided",
  "fanout.expanded": "decided",
  "fanout.dropped": "decided",
  "barrier.passed": "decided",
  "timer.set": "decided",
  "timer.fired": "world",
  "run.parked": "decided",
  "gate.decided": "world",
  "gate.defaulted": "decided",
  "signal.received": "world",
  "notification.sent": "world",
  "run.paused": "world",
  "run.unpaused": "world",
  "run.cancelled": "world",
  "budget.refused": "decided",
  "budget.set": "world",
  "run.aborted": "decided",
};
