import { defaultConcurrency } from "../../../compiler/ir/concurrency.ts";
import { canonicalJson, irHash, sha256Hex } from "../../../compiler/ir/hash.ts";
import type { Ir } from "../../../compiler/ir/schema.ts";
import { RunCore, type Sealed } from "../../../interpreter/core/advance.ts";
import type { StepRequest } from "../../../interpreter/core/body-run.ts";
import { instanceId } from "../../../interpreter/core/plan.ts";
import type { JournalRecord } from "../../../interpreter/core/state.ts";
import { startAttempt, type UnitRun } from "../../../interpreter/core/unit-run.ts";
import { emptyHead, seal } from "../../../interpreter/ledger/chain.ts";
import type { Draft, Entry, EntryOf, GateDecision, Json } from "../../../interpreter/ledger/entry.ts";
import { modelOp } from "../../../interpreter/models/model-answer.ts";
import { openMemoryStore } from "../../../interpreter/store/memory-store.ts";
import { AsyncLock } from "../../../interpreter/store/async-lock.ts";
import type { Store } from "../../../interpreter/store/store.ts";
import { implementations } from "../../../stdlib/runtime/index.ts";
import { simulatedSteps } from "./simulated-steps.ts";
import { type DemandedCall, demandFor, stepDemands } from "./step-demands.ts";
import { modelCallMs, syntheticAnswer } from "./synthetic-model.ts";
import { signAsSimulator } from "./simulator-key.ts";
import { syntheticValue } from "./synthetic-value.ts";

/** Where the simulated clock starts: a fixed instant, so that two simulations record the same times. */
export const simulatedEpoch = Date.UTC(2026, 0, 1, 9, 0, 0);

/** Who the simulated world's entries say decided at a gate: the page's user. */
export const simulatedApprover = "you (simulated)";

/** A workflow this flow would not run (`flow run` refuses it too): why. */
export class SimulationRefused extends Error {}

/** A gate or a `wait signal` the run is parked at, and what it offers. */
export interface Waiting {
  readonly instance: string;
  readonly kind: "approval" | "signal";
  /** `approval "merge"`, `signal "fix-merged"`. */
  readonly waitingFor: string;
  readonly show: Json | undefined;
  /** When its timeout passes, on the simulated clock; null without one. */
  readonly until: number | null;
}

/** Something the simulated world does at a time: an attempt starting or a step answering, a timer's time coming. */
interface Event {
  readonly at: number;
  /** Ties at one time go in the order they were planned. */
  readonly order: number;
  readonly happen: () => Draft[];
  /** The timer whose time this is, for a `timer.set`. */
  readonly timer?: string;
}

/**
 * A run of a workflow in a simulated world, through the real core: the
 * same RunCore (the pure fold and `decide`, sealing each entry into the
 * hash chain) and the same bodies and agent loops (BodyRun, AgentRun) as
 * `flow run`, appended to the memory store. Only the world is simulated
 * (simulated-steps.ts, synthetic-model.ts): steps and model calls are
 * answered with made-up values, on a simulated clock that jumps from one
 * event to the next, so timers, backoffs and sleeps pass at once.
 *
 * Deterministic: the run id, the seed, the arguments and every answer are
 * derived from the IR, the workflow and the journal ids, and the events
 * happen in simulated time order (ties in the order planned), one batch
 * each. Two simulations of one workflow answered alike at its gates
 * record the same ledger, byte for byte.
 *
 * Where it stops: `next` returns false when the run has ended, or when it
 * waits for someone (a gate, a signal; `waiting()`), who answers with
 * `decide`, `signal` or `lapse`.
 */
export class Simulation {
  now = simulatedEpoch;
  /** The entries as they were appended, in order. */
  readonly sealed: Sealed[] = [];
  private readonly agenda: Event[] = [];
  private planned = 0;
  private readonly demands = new Map<string, readonly DemandedCall[]>();
  /** One change at a time: the page's answer may come while an event is being recorded. */
  private readonly lock = new AsyncLock();

  private constructor(
    readonly core: RunCore,
    readonly store: Store,
  ) {}

  /** Records the run's first entry and first decisions. Arguments are made up from the parameters' types. */
  static async start(ir: Ir, workflow: string, options: { readonly concurrency?: number } = {}): Promise<Simulation> {
    const declared = ir.workflows.find((w) => w.name === workflow);
    if (declared === undefined) throw new SimulationRefused(`there is no workflow \`${workflow}\``);
    // As `flow run` refuses it: a workflow inside another needs a run of its own.
    const nested = declared.vertices.find((v) => v.kind === "workflow");
    if (nested !== undefined)
      throw new SimulationRefused(
        `\`${workflow}\` calls the workflow \`${nested.unit}\`, and flow cannot run a workflow inside another yet`,
      );
    const hash = irHash(ir);
    const args = Object.fromEntries(declared.params.map((p) => [p.name, syntheticValue(p.type, ir.types, `argument ${p.name}`)]));
    const inputs = sha256Hex(canonicalJson({ irHash: hash, workflow, args }));
    const first: Draft = {
      kind: "run.started",
      at: simulatedEpoch,
      data: {
        irHash: hash,
        ir,
        workflow,
        args,
        seed: sha256Hex(`seed ${inputs}`),
        options: { concurrency: options.concurrency ?? defaultConcurrency },
      },
    };
    const run = `sim-${inputs.slice(0, 12)}`;
    const firstEntry = seal(run, emptyHead, first);
    const store = openMemoryStore();
    await store.createRun(
      {
        id: run,
        workflow,
        source: "playground",
        irHash: hash,
        createdAt: simulatedEpoch,
        status: "running",
        updatedAt: simulatedEpoch,
      },
      { seq: 0, kind: "run.started", text: firstEntry.text, hash: firstEntry.entry.hash },
    );
    const simulation = new Simulation(new RunCore(firstEntry.entry as EntryOf<"run.started">), store);
    simulation.sealed.push(firstEntry);
    await simulation.commit(simulation.core.decideAll());
    return simulation;
  }

  get run(): string {
    return this.core.state.run;
  }

  /** The run has completed, failed, or was stopped by its budget: nothing more will happen. */
  get ended(): boolean {
    const status = this.core.state.status;
    return status === "completed" || status === "failed" || status === "cancelled" || status === "aborted";
  }

  /** Where the run waits for someone, in the order it parked there. */
  waiting(): Waiting[] {
    return [...this.core.state.parked].map(([instance, waitingFor]) => {
      const timer = this.core.state.timers.get(instance);
      const show = this.sealed.findLast((s) => s.entry.kind === "run.parked" && s.entry.data.instance === instance)?.entry as
        EntryOf<"run.parked"> | undefined;
      return {
        instance,
        kind: waitingFor.startsWith("signal") ? "signal" : "approval",
        waitingFor,
        show: show?.data.show,
        until: timer === undefined || timer.fired ? null : timer.until,
      };
    });
  }

  /** Lets the next event happen and records what follows from it; false when there is none without someone's answer. */
  next(): Promise<boolean> {
    return this.locked(async () => {
      if (this.ended) return false;
      const state = this.core.state;
      for (let i = 0; i < this.agenda.length; i++) {
        const event = this.agenda[i]!;
        if (event.timer !== undefined) {
          // A gate's or a signal's timeout waits for someone while the run is parked there (`lapse` lets it pass)…
          if (state.parked.has(event.timer)) continue;
          // …and one already answered changes nothing: it is dropped, and the clock does not jump to it.
          if (
            state.timers.get(event.timer)?.fired !== false ||
            state.gates.has(event.timer) ||
            state.signals.has(event.timer) ||
            state.barriers.has(event.timer)
          ) {
            this.agenda.splice(i--, 1);
            continue;
          }
        }
        this.agenda.splice(i, 1);
        this.now = Math.max(this.now, event.at);
        await this.commit(this.core.advance(event.happen()));
        return true;
      }
      return false;
    });
  }

  /** Runs to the end or to the next wait, answering nothing: for tests and the page's fastest speed. */
  async settle(): Promise<void> {
    while (await this.next());
  }

  /**
   * A decision at a gate the run is parked at, by the page's user, made as
   * `flow approve` makes one: signed (by the simulator's key) against the
   * ledger's head, and recorded with the takeover of the run it was made
   * for, as a process that takes the run over records it.
   */
  decide(instance: string, decision: GateDecision): Promise<void> {
    return this.locked(async () => {
      this.mustWait(instance, "approval");
      const { run } = this;
      const head = this.core.state.head.hash;
      const { key, signature } = await signAsSimulator({ run, instance, decision, comment: null, head });
      const approver = { name: simulatedApprover, key };
      await this.commit(
        this.core.advance([
          { kind: "run.resumed", at: this.now, data: { by: simulatedApprover } },
          { kind: "gate.decided", at: this.now, data: { instance, decision, comment: null, approver, head, signature } },
        ]),
      );
    });
  }

  /** The signal a `wait signal` waits for, with a value made up from its type. */
  signal(instance: string): Promise<void> {
    return this.locked(async () => {
      this.mustWait(instance, "signal");
      const barrier = this.core.plan.barriers.get(instanceId(instance));
      if (barrier?.kind !== "signal") throw new Error(`${instance} is no \`wait signal\``);
      await this.answer({
        kind: "signal.received",
        at: this.now,
        data: { instance, value: syntheticValue(barrier.type, this.core.plan.ir.types, `signal ${instance}`), by: "simulation" },
      });
    });
  }

  /** Lets the timeout of a gate or a signal pass: the clock moves on to it and its default (or failure) applies. */
  lapse(instance: string): Promise<void> {
    return this.locked(async () => {
      const timer = this.core.state.timers.get(instance);
      if (timer === undefined || timer.fired || !this.core.state.parked.has(instance))
        throw new Error(`${instance} has no timeout to let pass`);
      const i = this.agenda.findIndex((e) => e.timer === instance);
      if (i >= 0) this.agenda.splice(i, 1);
      this.now = Math.max(this.now, timer.until);
      await this.answer({ kind: "timer.fired", at: this.now, data: { timer: instance } });
    });
  }

  /** The ledger as the store holds it: one canonical JSON text per entry. */
  async ledger(): Promise<string[]> {
    const texts: string[] = [];
    for await (const entry of this.store.entries(this.run, 0)) texts.push(entry.text);
    return texts;
  }

  private async locked<T>(work: () => Promise<T>): Promise<T> {
    await this.lock.acquire();
    try {
      return await work();
    } finally {
      this.lock.release();
    }
  }

  private mustWait(instance: string, kind: Waiting["kind"]): void {
    if (!this.waiting().some((w) => w.instance === instance && w.kind === kind))
      throw new Error(`the run is not waiting for ${kind === "approval" ? "a decision" : "a signal"} at ${instance}`);
  }

  private async answer(draft: Draft): Promise<void> {
    await this.commit(this.core.advance([draft]));
  }

  /** Appends, then acts on what was decided, as the run driver does: nothing happens that the ledger does not say was decided. */
  private async commit(sealed: readonly Sealed[]): Promise<void> {
    if (sealed.length === 0) return;
    await this.store.append(
      this.run,
      sealed.map((s) => ({ seq: s.entry.seq, kind: s.entry.kind, text: s.text, hash: s.entry.hash })),
    );
    this.sealed.push(...sealed);
    for (const { entry } of sealed) this.act(entry);
    if (this.ended) await this.store.setRunStatus(this.run, this.core.state.status, this.now);
  }

  private act(entry: Entry): void {
    switch (entry.kind) {
      case "vertex.scheduled":
        this.plan(this.now, () => this.startAttempt(entry.vertex, entry.attempt, entry.data.args));
        return;
      case "timer.set":
        this.plan(
          entry.data.until,
          () => [{ kind: "timer.fired", at: this.now, data: { timer: entry.data.timer } }],
          entry.data.timer,
        );
        return;
      default:
        return;
    }
  }

  private plan(at: number, happen: () => Draft[], timer?: string): void {
    const event: Event = { at, order: this.planned++, happen, ...(timer === undefined ? {} : { timer }) };
    let i = this.agenda.length;
    while (i > 0 && (this.agenda[i - 1]!.at > at || (this.agenda[i - 1]!.at === at && this.agenda[i - 1]!.order > event.order)))
      i--;
    this.agenda.splice(i, 0, event);
  }

  /** An attempt begins, as host/attempt.ts begins one (without a sandbox): its body runs to its first step. */
  private startAttempt(instance: string, attempt: number, args: Readonly<Record<string, Json>>): Draft[] {
    const { plan, state } = this.core;
    const unit = plan.units.get(plan.vertices.get(instanceId(instance))?.unit ?? "");
    if (unit === undefined) throw new Error(`no unit for ${instance}`);
    let body: UnitRun;
    try {
      body = startAttempt(plan, state, instance, attempt, unit, args);
    } catch (error) {
      return [
        {
          kind: "vertex.aborted",
          at: this.now,
          vertex: instance,
          attempt,
          data: { failure: { kind: "Failed", message: (error as Error).message } },
        },
      ];
    }
    if (!this.demands.has(unit.name))
      this.demands.set(
        unit.name,
        stepDemands(unit, (op) => implementations.get(op)?.kind === "step"),
      );
    const progress = body.resume(this.now);
    if (progress.kind === "step") this.planStep(body, unit.name, progress.request);
    return [
      { kind: "vertex.started", at: this.now, vertex: instance, attempt, data: { workTree: instance } },
      ...progress.drafts,
    ];
  }

  /** The step the body asked for answers after the time it takes; the body then runs on to its next step or its end. */
  private planStep(body: UnitRun, unitName: string, request: StepRequest): void {
    const simulated = simulatedSteps.get(request.op);
    const ms = request.call !== undefined ? modelCallMs : (simulated?.ms ?? 0);
    this.plan(this.now + ms, () => {
      const { instance, attempt } = body;
      const ref = { index: request.index, op: request.op, id: request.id, args: request.args };
      let reply: JournalRecord;
      let entry: Draft;
      if (request.call !== undefined) {
        const answer = syntheticAnswer(request.call, this.core.plan.ir.routes, this.core.plan.ir.types, request.id);
        const result = answer as unknown as Json;
        const spent = {
          tokens: answer.reply.usage.input + answer.reply.usage.output,
          ...(answer.usd === null ? {} : { usd: answer.usd }),
        };
        reply = { result };
        entry = {
          kind: "step.completed",
          at: this.now,
          vertex: instance,
          attempt,
          data: { ...ref, compute: 0, ...spent, result },
        };
      } else if (simulated === undefined) {
        const failure = { kind: "Failed", message: `the simulator has no ${request.op === modelOp ? "model" : request.op}` };
        reply = { failure };
        entry = { kind: "step.failed", at: this.now, vertex: instance, attempt, data: { ...ref, compute: ms, failure } };
      } else {
        const result = simulated.record({
          args: request.args,
          demand: demandFor(this.demands.get(unitName) ?? [], request.op, request.args),
          types: this.core.plan.ir.types,
          seed: request.id,
          now: this.now,
        });
        reply = { result };
        entry = { kind: "step.completed", at: this.now, vertex: instance, attempt, data: { ...ref, compute: ms, result } };
      }
      const progress = body.resume(this.now, reply);
      if (progress.kind === "step") this.planStep(body, unitName, progress.request);
      return [entry, ...progress.drafts];
    });
  }
}
