import type { Expr, Stmt } from "../../compiler/ir/body.ts";
import { subExpressions } from "../../compiler/ir/sub-expressions.ts";
import type { CostVector } from "../../compiler/ir/cost.ts";
import type { Retry } from "../../compiler/ir/unit.ts";
import type { Barrier } from "../../compiler/ir/workflow.ts";
import { StdFailure } from "../../stdlib/runtime/implementation.ts";
import type { Draft, Failure, Json, Spent } from "../ledger/entry.ts";
import { Blocked, evaluatePure, Frame, NotReady, type Scope } from "./evaluate.ts";
import { abortReason, refusal, reserveIn } from "./budget.ts";
import { type DecideMemo, notWaiting } from "./memo.ts";
import { instanceKey, type RunPlan } from "./plan.ts";
import type { RunState } from "./state.ts";
import { validateValue } from "./validate-value.ts";

/**
 * `decide(state) → entries`: what the run does next, as a pure function of
 * its state. It walks the workflow's body in order, as far as the values it
 * has allow: a call whose arguments are known is scheduled, a `for` whose
 * list is known expands, a barrier passes once everything above it has
 * finished, a failed attempt is retried or given up, and when nothing is
 * left to wait for the run completes or fails. Everything it decides is an
 * entry (the caller applies them and asks again until it has nothing to
 * add: advance.ts); what it only derives (a `let`'s value, an item's
 * result) it may keep in `memo`, which holds nothing the state does not
 * determine.
 *
 * Order is the body's: statements as written, items by index. Parallelism
 * comes from not waiting: a statement whose values are not ready is passed
 * over, and the walk goes on to the next, except at a barrier.
 */
export function decide(state: RunState, plan: RunPlan, memo: DecideMemo): Draft[] {
  if (state.status !== "running" && state.status !== "parked") return [];
  return new Walk(state, plan, memo).run();
}

/** Where a statement stands in its block: something before it (here or in an enclosing block) is still running, or failed. */
interface Above {
  readonly pending: boolean;
  readonly blocked: boolean;
}

interface BlockResult {
  pending: boolean;
  blocked: boolean;
  returned: { readonly value: Json } | null;
  last: Json;
}

type Sink = { readonly at: string; readonly failure: Failure }[];

class Walk {
  private readonly drafts: Draft[] = [];
  /** How many more vertex instances may be scheduled in this pass (the run-wide `concurrency`). */
  private slots: number;
  /** The statement being evaluated: a fan-out inside it starts its items' blocks from here. */
  private above: Above = { pending: false, blocked: false };
  /** Where the statement being evaluated reports failures (a fan-out's item has its own). */
  private sink: Sink = [];
  /**
   * The innermost fan-out item being read (its path), and whether it waited on anything outside it or on a free slot.
   * Two fields, not an object: `decide` changes them for every item it reads.
   */
  private itemPath = "";
  private external = false;
  /**
   * The fan-out item being read, by its path and its fan-out's id, while no entry has changed anything in it
   * (FanOutState's `changedAt`: the fold marks an item for every entry about a vertex in it), else null: a vertex
   * directly in it then has no state, and is not looked up among the run's vertices (a map of every vertex instance,
   * where a key that is not there costs a few cache misses, for every item that begins).
   */
  private untouchedPath: string | null = null;
  private untouchedFanOut: string | null = null;
  /**
   * What this pass already concluded of a vertex or fan-out instance: an
   * expression is primed and then evaluated, and a value may be read twice,
   * but each decision is made (and emitted) once.
   */
  private readonly concludedVertices = new Map<string, Concluded>();
  private readonly concludedFanOuts = new Map<string, Concluded>();
  /** The worst cases of the attempts this pass dispatches, and whether it refused one (then it dispatches no more). */
  private readonly dispatched: Spent = { tokens: 0, usd: 0, compute: 0, wall: 0 };
  private refused = false;

  constructor(
    private readonly state: RunState,
    readonly plan: RunPlan,
    private readonly memo: DecideMemo,
  ) {
    this.slots = state.options.concurrency - state.active;
  }

  run(): Draft[] {
    const sink: Sink = [];
    const result = this.block(this.plan.workflow.body, new Frame(this.scope("")), "", { pending: false, blocked: false }, sink);
    const { budget } = this.state;
    if (budget.stopped && this.state.active === 0 && this.drafts.length === 0 && result.pending) {
      // A dispatch was refused and what was in flight has drained. A run that has already failed fails (a new envelope
      // would only pay for work whose end is known); any other stops here, whole, until a new envelope.
      if (sink.length > 0) this.emit({ kind: "run.failed", at: this.state.at, data: { failures: sink } });
      else this.emit({ kind: "run.aborted", at: this.state.at, data: { reason: abortReason(budget), spent: { ...budget.spent }, ceilings: budget.ceilings } });
      return this.drafts;
    }
    if (result.pending || this.state.active > 0 || this.drafts.length > 0) return this.drafts;
    if (sink.length === 0 && result.returned !== null) {
      const problem = validateValue(result.returned.value, this.plan.workflow.result, this.plan.ir.types);
      if (problem === null) {
        this.emit({ kind: "run.completed", at: this.state.at, data: { result: result.returned.value } });
        return this.drafts;
      }
      sink.push({ at: this.plan.workflow.name, failure: { kind: "InvalidOutput", message: `the workflow's result ${problem}` } });
    }
    if (sink.length === 0) sink.push({ at: this.plan.workflow.name, failure: { kind: "Failed", message: "the workflow ended without a result" } });
    this.emit({ kind: "run.failed", at: this.state.at, data: { failures: sink } });
    return this.drafts;
  }

  /** An argument of the run. */
  arg(name: string): Json {
    return this.state.args[name] ?? null;
  }

  private emit(draft: Draft): void {
    this.drafts.push(draft);
  }

  private scope(path: string): Scope {
    return new WalkScope(this, path);
  }

  /** `external` when a value an item reads belongs to a scope outside the item. */
  waitsFor(owner: WalkScope): void {
    if (!owner.path.startsWith(this.itemPath)) this.external = true;
  }

  /** A vertex instance, concluded once a pass. */
  concludeVertex(id: string, scope: WalkScope, frame: Frame): Concluded {
    const key = scope.instanceOf(id);
    const known = this.concludedVertices.get(key);
    if (known !== undefined) return known;
    const concluded = settled(() => this.vertex(id, key, frame, scope.path === this.untouchedPath));
    this.concludedVertices.set(key, concluded);
    return concluded;
  }

  /** A fan-out instance, concluded once a pass. */
  concludeFanOut(expr: Extract<Expr, { kind: "for" }>, path: string, frame: Frame): Concluded {
    const key = instanceKey(expr.id, path);
    const known = this.concludedFanOuts.get(key);
    if (known !== undefined) return known;
    const concluded = settled(() => this.fanOut(expr, key, path, frame));
    this.concludedFanOuts.set(key, concluded);
    return concluded;
  }

  private block(statements: readonly Stmt[], frame: Frame, path: string, above: Above, sink: Sink): BlockResult {
    const result: BlockResult = { pending: false, blocked: false, returned: null, last: null };
    for (const stmt of statements) {
      const here: Above = { pending: above.pending || result.pending, blocked: above.blocked || result.blocked };
      if (stmt.kind === "barrier" || (stmt.kind === "let" && stmt.value.kind === "signal")) {
        // A barrier starts when everything above it has finished, and nothing below it starts before it passes.
        if (here.pending) return { ...result, pending: true };
        if (here.blocked) return { ...result, blocked: true };
      }
      this.above = here;
      this.sink = sink;
      const outcome = this.statement(stmt, frame, path, here, sink);
      switch (outcome.kind) {
        case "done":
          if (stmt.kind === "expr") result.last = outcome.value;
          if (stmt.kind === "return") return { ...result, returned: { value: outcome.value } };
          break;
        case "returned":
          return { ...result, returned: { value: outcome.value } };
        case "pending":
          result.pending = true;
          // Nothing below a `return` (or `fail`) that may yet be taken starts before it is decided.
          if (stmt.kind === "barrier" || stmt.kind === "return" || mayEndBlock(stmt)) return result;
          break;
        case "blocked":
          result.blocked = true;
          if (stmt.kind === "barrier" || stmt.kind === "return" || stmt.kind === "fail") return result;
          break;
      }
    }
    return result;
  }

  private statement(
    stmt: Stmt,
    frame: Frame,
    path: string,
    above: Above,
    sink: Sink,
  ): { kind: "done"; value: Json } | { kind: "returned"; value: Json } | { kind: "pending" } | { kind: "blocked" } {
    switch (stmt.kind) {
      case "let": {
        const key = `let:${stmt.id}${path}`;
        const known = this.memo.lets.get(key);
        if (known !== undefined) {
          frame.set(`let:${stmt.id}`, known.value);
          return { kind: "done", value: known.value };
        }
        const outcome = this.attempt(stmt.value, frame, `${stmt.name}${path}`, sink);
        if (outcome.kind === "done") {
          this.memo.lets.set(key, { value: outcome.value });
          frame.set(`let:${stmt.id}`, outcome.value);
        } else {
          frame.unresolved(`let:${stmt.id}`, outcome.kind === "pending" ? NotReady.signal : new Blocked(outcome.because));
        }
        return outcome.kind === "blocked" ? { kind: "blocked" } : outcome;
      }
      case "expr":
      case "return": {
        const outcome = this.attempt(stmt.kind === "expr" ? stmt.expr : stmt.value, frame, path === "" ? "workflow" : path, sink);
        return outcome.kind === "blocked" ? { kind: "blocked" } : outcome;
      }
      case "if": {
        const cond = this.attempt(stmt.cond, frame, path === "" ? "workflow" : path, sink);
        if (cond.kind !== "done") return cond.kind === "blocked" ? { kind: "blocked" } : cond;
        const branch = this.block(cond.value === true ? stmt.then : stmt.else, frame.child(), path, above, sink);
        if (branch.returned !== null) return { kind: "returned", value: branch.returned.value };
        if (branch.pending) return { kind: "pending" };
        return branch.blocked ? { kind: "blocked" } : { kind: "done", value: null };
      }
      case "fail": {
        const message = this.attempt(stmt.message, frame, path === "" ? "workflow" : path, sink);
        if (message.kind === "pending") return message;
        const text = message.kind === "done" && typeof message.value === "string" ? message.value : stmt.error;
        addFailure(sink, `fail${path}@${stmt.span.start}`, { kind: stmt.error, message: text });
        return { kind: "blocked" };
      }
      case "barrier":
        return this.barrier(this.barrierOf(stmt.barrier), frame, path, sink);
      case "checkpoint":
        return { kind: "done", value: null };
    }
  }

  /** Evaluates an expression of the workflow, first starting every call in it that can start (so `f(a(), b())` runs `a` and `b` side by side). */
  private attempt(
    expr: Expr,
    frame: Frame,
    at: string,
    sink: Sink,
  ): { kind: "done"; value: Json } | { kind: "pending" } | { kind: "blocked"; because: string } {
    this.prime(expr, frame);
    // A call or a fan-out alone (most statements are one) is concluded without the evaluator, which would throw.
    if (expr.kind === "vertex" || expr.kind === "for") {
      const scope = frame.scope as WalkScope;
      const concluded = expr.kind === "vertex" ? this.concludeVertex(expr.vertex, scope, frame) : this.concludeFanOut(expr, scope.path, frame);
      if (concluded instanceof NotReady) return { kind: "pending" };
      if (concluded instanceof Blocked) return { kind: "blocked", because: concluded.because };
      return { kind: "done", value: concluded };
    }
    try {
      return { kind: "done", value: evaluatePure(expr, frame) };
    } catch (thrown) {
      if (thrown instanceof NotReady) return { kind: "pending" };
      if (thrown instanceof Blocked) return { kind: "blocked", because: thrown.because };
      if (thrown instanceof StdFailure) {
        addFailure(sink, at, { kind: thrown.kind, message: thrown.message });
        return { kind: "blocked", because: at };
      }
      throw thrown;
    }
  }

  /** Starts what can start in an expression, whatever else in it is not ready: calls, and the lists of fan-outs. */
  private prime(expr: Expr, frame: Frame): void {
    switch (expr.kind) {
      case "vertex":
        this.concludeVertex(expr.vertex, frame.scope as WalkScope, frame);
        return;
      case "lambda":
        return;
      case "binary":
        // The right side of `&&`, `||` and `??` runs only if the left side asks for it.
        if (expr.op === "&&" || expr.op === "||" || expr.op === "??") return this.prime(expr.left, frame);
        break;
      default:
        break;
    }
    for (const inner of subExpressions(expr)) this.prime(inner, frame);
  }

  /** `inUntouchedItem`: it is read in the scope of the untouched item (`untouchedPath`), if there is one. */
  private vertex(id: string, key: string, frame: Frame, inUntouchedItem: boolean): Concluded {
    const spec = this.plan.vertices.get(id);
    if (spec === undefined) throw new Error(`no vertex ${id}`);
    const known = inUntouchedItem && spec.fanOut === this.untouchedFanOut ? undefined : this.state.vertices.get(key);
    if (known === undefined) {
      for (const arg of spec.args) this.prime(arg.value, frame);
      const args: Record<string, Json> = {};
      try {
        for (const arg of spec.args) args[arg.param] = evaluatePure(arg.value, frame);
      } catch (thrown) {
        if (thrown instanceof Blocked) this.emit({ kind: "vertex.skipped", at: this.state.at, vertex: key, attempt: 1, data: { because: thrown.because } });
        throw thrown;
      }
      this.schedule(key, 1, args, false, spec.cost.perAttempt);
      return NotReady.signal;
    }
    switch (known.status) {
      case "completed": {
        const gate = this.plan.units.get(spec.unit)?.gate ?? null;
        if (gate === null) return known.result;
        // `gate "name"`: the result is held for a person before anything downstream reads it.
        this.external = true;
        const decided = this.gateDecision(key, gate, this.sink);
        if (decided === "approve") return known.result;
        if (decided === "reject") return new Blocked(key);
        if (!this.state.parked.has(key)) this.park(key, `approval "${gate}"`, known.result);
        return NotReady.signal;
      }
      case "scheduled":
      case "running":
        return NotReady.signal;
      case "skipped":
        return new Blocked(known.because ?? key);
      case "interrupted":
        this.schedule(key, known.attempt, known.args, true, spec.cost.perAttempt);
        return NotReady.signal;
      case "retrying": {
        const timer = this.state.timers.get(retryTimer(key, known.attempt));
        if (timer === undefined || timer.fired) this.schedule(key, known.attempt, known.args, false, spec.cost.perAttempt);
        return NotReady.signal;
      }
      case "failed": {
        const failure = known.failure ?? { kind: "Failed", message: "failed" };
        const unit = this.plan.units.get(spec.unit);
        const retry = unit?.retry ?? null;
        if (retry !== null && known.attempt < retry.attempts && (retry.on === null || retry.on.includes(failure.kind))) {
          const delay = backoff(retry, known.attempt, frame);
          const next = known.attempt + 1;
          this.emit({ kind: "vertex.retrying", at: this.state.at, vertex: key, attempt: next, data: { reason: failure, delay } });
          if (delay > 0) this.emit({ kind: "timer.set", at: this.state.at, data: { timer: retryTimer(key, next), until: this.state.at + delay } });
          return NotReady.signal;
        }
        addFailure(this.sink, key, failure);
        return new Blocked(key);
      }
    }
  }

  private schedule(key: string, attempt: number, args: Readonly<Record<string, Json>>, resumed: boolean, cost: CostVector): void {
    if (this.slots <= 0 || this.state.budget.stopped || this.refused) {
      // It waits for a free slot, or for a new envelope: something outside its item.
      this.external = true;
      return;
    }
    // Priced after what this pass has already dispatched too: its entries are applied only once the pass is over.
    const refused = refusal(this.state.budget, cost, this.dispatched);
    if (refused !== null) {
      this.external = true;
      this.refused = true;
      this.emit({ kind: "budget.refused", at: this.state.at, vertex: key, attempt, data: refused });
      return;
    }
    reserveIn(this.dispatched, cost, 1);
    this.slots--;
    this.emit({ kind: "vertex.scheduled", at: this.state.at, vertex: key, attempt, data: { args, resumed } });
  }

  private fanOut(expr: Extract<Expr, { kind: "for" }>, key: string, path: string, frame: Frame): Concluded {
    const finished = this.memo.fanOuts.get(key);
    if (finished !== undefined) return finished.value;
    const over = evaluatePure(expr.over, frame);
    if (!Array.isArray(over)) throw new Error(`fan-out ${key} goes over ${typeof over}, not a list`);
    const expanded = this.state.fanOuts.get(key);
    if (expanded === undefined) {
      const items = expr.limit === null ? over.length : Math.min(over.length, expr.limit);
      this.emit({ kind: "fanout.expanded", at: this.state.at, data: { instance: key, items } });
      return NotReady.signal;
    }
    const progress = this.memo.items(key, expanded.items);
    const above = this.above;
    const sink = this.sink;
    const tolerated = expr.tolerate === null ? 0 : expr.tolerate.kind === "count" ? expr.tolerate.value : Math.floor(expr.tolerate.value * expanded.items + 1e-9);
    let inFlight = 0;
    let pending = false;
    let dropped = expanded.dropped.size;
    // Once the fan-out has failed (an item failed without `tolerate`, or more than it allows), no item begins: it fails
    // when those in flight have ended.
    const failed = () => progress.failed.size > 0 || dropped > tolerated;
    const itemKey = `item:${expr.id}`;
    for (let i = progress.donePrefix; i < expanded.items; i++) {
      // Most items looked at are in flight, waiting: they are passed over first (a waiting item is never final).
      const waitingSince = progress.waiting[i] as number;
      if (waitingSince !== notWaiting && waitingSince >= this.state.resetAt && (expanded.changedAt.get(i) ?? -1) <= waitingSince) {
        inFlight++;
        pending = true;
        continue;
      }
      if (progress.final[i] !== undefined) continue;
      const begun = expanded.begun.has(i);
      if (!begun && failed()) break;
      // Items begin in order; once one may not (its fan-out is at `concurrency`, or it cannot start yet), none after it may.
      if (!begun && expr.concurrency !== null && inFlight >= expr.concurrency) {
        pending = true;
        break;
      }
      const itemPath = `${path}[${i}]`;
      const itemFrame = new Frame(this.scope(itemPath), frame);
      itemFrame.set(itemKey, over[i] as Json);
      const itemSink: Sink = [];
      const outerPath = this.itemPath;
      const outerExternal = this.external;
      const outerUntouchedPath = this.untouchedPath;
      const outerUntouchedFanOut = this.untouchedFanOut;
      this.itemPath = itemPath;
      this.external = false;
      const untouched = !expanded.changedAt.has(i);
      this.untouchedPath = untouched ? itemPath : null;
      this.untouchedFanOut = untouched ? expr.id : null;
      const draftsBefore = this.drafts.length;
      const result = this.block(expr.body, itemFrame, itemPath, above, itemSink);
      if (result.pending && !begun && this.drafts.length === draftsBefore) {
        // It cannot begin yet (what it reads is not ready, or the run has no free slot): it holds back those after it.
        this.itemPath = outerPath;
        this.external ||= outerExternal;
        this.untouchedPath = outerUntouchedPath;
        this.untouchedFanOut = outerUntouchedFanOut;
        pending = true;
        break;
      }
      if (result.pending && !this.external) {
        // It waits only for its own vertices. If all it decided now is to schedule some, the entries recording that
        // change nothing it would decide again: it waits from after them. Anything else it decided, it looks at again.
        const onlyScheduled = this.onlyScheduledSince(draftsBefore);
        progress.waiting[i] = this.state.head.seq + (onlyScheduled ? this.drafts.length : 0);
      } else {
        progress.waiting[i] = notWaiting;
      }
      this.itemPath = outerPath;
      this.external ||= outerExternal;
      this.untouchedPath = outerUntouchedPath;
      this.untouchedFanOut = outerUntouchedFanOut;
      if (result.pending) {
        inFlight++;
        pending = true;
      } else if (result.blocked || result.returned !== null) {
        if (expr.tolerate !== null) {
          if (!expanded.dropped.has(i)) {
            const failure = itemSink[0]?.failure ?? { kind: "Failed", message: "skipped" };
            this.emit({ kind: "fanout.dropped", at: this.state.at, data: { instance: key, item: i, failure } });
            dropped++;
          }
          progress.final[i] = { dropped: true };
        } else {
          progress.failed.set(i, itemSink);
          progress.final[i] = { dropped: true };
        }
      } else {
        progress.final[i] = { value: result.last };
      }
      while (progress.final[progress.donePrefix] !== undefined) progress.donePrefix++;
    }
    this.above = above;
    this.sink = sink;
    if (pending) return NotReady.signal;
    if (failed()) {
      // In item order, whichever pass found them: a process that starts without the memo finds the same.
      for (const i of [...progress.failed.keys()].sort((a, b) => a - b)) for (const f of progress.failed.get(i) ?? []) addFailure(sink, f.at, f.failure);
      if (dropped > tolerated) {
        addFailure(sink, key, { kind: "Failed", message: `${dropped} of ${expanded.items} items failed, more than \`tolerate\` allows (${tolerated})` });
      }
      return new Blocked(key);
    }
    const values: Json[] = [];
    for (let i = 0; i < expanded.items; i++) {
      const final = progress.final[i];
      if (final !== undefined && "value" in final) values.push(final.value);
    }
    this.memo.fanOuts.set(key, { value: values });
    return values;
  }

  /** Whether every draft this pass made from the `from`th on schedules a vertex (read for each item that begins: not from the first draft). */
  private onlyScheduledSince(from: number): boolean {
    for (let n = from; n < this.drafts.length; n++) if ((this.drafts[n] as Draft).kind !== "vertex.scheduled") return false;
    return true;
  }

  private barrierOf(id: string): Barrier {
    const barrier = this.plan.barriers.get(id);
    if (barrier === undefined) throw new Error(`no barrier ${id}`);
    return barrier;
  }

  private barrier(barrier: Barrier, frame: Frame, path: string, sink: Sink): { kind: "done"; value: Json } | { kind: "pending" } | { kind: "blocked" } {
    const key = instanceKey(barrier.id, path);
    if (this.state.barriers.has(key)) return { kind: "done", value: null };
    // A barrier waits on the world (a timer, a person) or on everything above it: never only on its item's vertices.
    this.external = true;
    const pass = () => {
      this.emit({ kind: "barrier.passed", at: this.state.at, data: { instance: key } });
      return { kind: "done" as const, value: null };
    };
    switch (barrier.kind) {
      case "verify": {
        const verdict = this.attempt(barrier.check, frame, key, sink);
        if (verdict.kind !== "done") return verdict.kind === "pending" ? verdict : { kind: "blocked" };
        if (holds(verdict.value)) return pass();
        const message = this.attempt(barrier.message, frame, key, sink);
        if (message.kind === "pending") return message;
        addFailure(sink, key, { kind: "Failed", message: message.kind === "done" ? String(message.value) : "the check failed" });
        return { kind: "blocked" };
      }
      case "sleep": {
        const timer = this.state.timers.get(key);
        if (timer === undefined) {
          const duration = this.attempt(barrier.duration, frame, key, sink);
          if (duration.kind !== "done") return duration.kind === "pending" ? duration : { kind: "blocked" };
          this.emit({ kind: "timer.set", at: this.state.at, data: { timer: key, until: this.state.at + (duration.value as number) } });
          return { kind: "pending" };
        }
        return timer.fired ? pass() : { kind: "pending" };
      }
      case "approve": {
        const decided = this.gateDecision(key, barrier.gate, sink);
        if (decided !== "pending") return decided === "approve" ? pass() : { kind: "blocked" };
        if (barrier.timeout !== null) {
          const timer = this.state.timers.get(key);
          if (timer === undefined) {
            const timeout = this.attempt(barrier.timeout, frame, key, sink);
            if (timeout.kind !== "done") return timeout.kind === "pending" ? timeout : { kind: "blocked" };
            this.emit({ kind: "timer.set", at: this.state.at, data: { timer: key, until: this.state.at + (timeout.value as number) } });
          } else if (timer.fired) {
            if (barrier.default === null) {
              addFailure(sink, key, { kind: "Timeout", message: `no decision at the gate "${barrier.gate}" before its timeout, and it has no default` });
              return { kind: "blocked" };
            }
            this.emit({ kind: "gate.defaulted", at: this.state.at, data: { instance: key, decision: barrier.default } });
            return { kind: "pending" };
          }
        }
        if (!this.state.parked.has(key)) {
          const show = barrier.show === null ? null : this.attempt(barrier.show, frame, key, sink);
          if (show !== null && show.kind !== "done") return show.kind === "pending" ? show : { kind: "blocked" };
          this.park(key, `approval "${barrier.gate}"`, show?.value);
        }
        return { kind: "pending" };
      }
      case "signal":
        return { kind: "pending" };
    }
  }

  /** The decision at a gate, once there is one: a rejection is the instance's failure. */
  private gateDecision(key: string, gate: string, sink: Sink): "approve" | "reject" | "pending" {
    const decided = this.state.gates.get(key);
    if (decided === undefined) return "pending";
    if (decided.decision === "reject") {
      const by = decided.by === null ? "by its timeout's default" : `by ${decided.by}`;
      addFailure(sink, key, { kind: "Rejected", message: `the gate "${gate}" was rejected ${by}${decided.comment === null ? "" : `: ${decided.comment}`}` });
    }
    return decided.decision;
  }

  private park(instance: string, waitingFor: string, show: Json | undefined): void {
    this.emit({ kind: "run.parked", at: this.state.at, data: show === undefined ? { instance, waitingFor } : { instance, waitingFor, show } });
  }

  signal(barrierId: string, path: string, frame: Frame): Json {
    const barrier = this.barrierOf(barrierId);
    const key = instanceKey(barrierId, path);
    this.external = true;
    const received = this.state.signals.get(key);
    if (received !== undefined) return received;
    if (barrier.kind !== "signal") throw NotReady.signal;
    if (barrier.timeout !== null) {
      const timer = this.state.timers.get(key);
      if (timer === undefined) {
        const timeout = evaluatePure(barrier.timeout, frame) as number;
        this.emit({ kind: "timer.set", at: this.state.at, data: { timer: key, until: this.state.at + timeout } });
      } else if (timer.fired) {
        addFailure(this.sink, key, { kind: "Timeout", message: `no signal "${barrier.signal}" arrived before its timeout` });
        throw new Blocked(key);
      }
    }
    if (!this.state.parked.has(key)) this.park(key, `signal "${barrier.signal}"`, undefined);
    throw NotReady.signal;
  }
}

/**
 * What a pass concluded of a vertex or fan-out instance: its value, or why
 * it has none (yet). Returned, not thrown: the walk reads most values
 * where it can test for these, and a throw costs more than the test.
 */
type Concluded = Json | NotReady | Blocked;

/** `conclude`'s value, or the NotReady or Blocked an expression it evaluates throws. */
function settled(conclude: () => Concluded): Concluded {
  try {
    return conclude();
  } catch (thrown) {
    if (thrown instanceof NotReady || thrown instanceof Blocked) return thrown;
    throw thrown;
  }
}

/** A conclusion where the evaluator reads it: NotReady and Blocked are thrown, as it expects. */
function valueOf(concluded: Concluded): Json {
  if (concluded instanceof NotReady || concluded instanceof Blocked) throw concluded;
  return concluded;
}

/**
 * What a workflow's expressions read at one item path (`[2][0]`, or "" at
 * the top): the run's arguments, its vertices and fan-outs there. A class,
 * not closures: the walk makes one for every fan-out item it looks at.
 */
class WalkScope implements Scope {
  readonly ir: Scope["ir"];
  /** The vertex instanceOf was asked for last, and its key. */
  private lastVertex = "";
  private lastKey = "";

  constructor(
    private readonly walk: Walk,
    readonly path: string,
  ) {
    this.ir = walk.plan.ir;
  }

  /**
   * The instance key of a vertex read here, the last one kept: a call is primed and then evaluated, and looked up by
   * its key each time (in the pass's conclusions, then the run's vertices), so one string, hashed once, serves all.
   */
  instanceOf(vertex: string): string {
    if (vertex !== this.lastVertex) {
      this.lastVertex = vertex;
      this.lastKey = instanceKey(vertex, this.path);
    }
    return this.lastKey;
  }

  waitsFor(owner: Scope): void {
    this.walk.waitsFor(owner as WalkScope);
  }

  param(name: string): Json {
    return this.walk.arg(name);
  }

  let(id: string): Json {
    throw new Error(`the let \`${id}\` is read before it is bound`);
  }

  item(id: string): Json {
    throw new Error(`the item of \`${id}\` is read outside its fan-out`);
  }

  vertex(id: string, frame: Frame): Json {
    return valueOf(this.walk.concludeVertex(id, this, frame));
  }

  signal(barrier: string, frame: Frame): Json {
    return this.walk.signal(barrier, this.path, frame);
  }

  fanOut(expr: Extract<Expr, { kind: "for" }>, frame: Frame): Json {
    return valueOf(this.walk.concludeFanOut(expr, this.path, frame));
  }
}

/** Whether an `if` holds a `return` or `fail` in one of its branches (at any depth of `if`s, not inside a `for`). */
function mayEndBlock(stmt: Stmt): boolean {
  if (stmt.kind === "return" || stmt.kind === "fail") return true;
  return stmt.kind === "if" && (stmt.then.some(mayEndBlock) || stmt.else.some(mayEndBlock));
}

/** A verifier's verdict: `true`, or a record whose `ok` is true. */
function holds(verdict: Json): boolean {
  if (verdict === true) return true;
  return typeof verdict === "object" && verdict !== null && !Array.isArray(verdict) && verdict.ok === true;
}

function addFailure(sink: Sink, at: string, failure: Failure): void {
  if (!sink.some((f) => f.at === at)) sink.push({ at, failure });
}

export function retryTimer(instance: string, attempt: number): string {
  return `retry:${instance}#${attempt}`;
}

/** The wait before attempt `failed + 1`: `exp` doubles from `base` (`base × 2^(n-1)`), `linear` adds it, `fixed` repeats it; `cap` bounds each. */
function backoff(retry: Retry, failed: number, frame: Frame): number {
  if (retry.backoff === null) return 0;
  const base = evaluatePure(retry.backoff.base, frame) as number;
  const cap = retry.backoff.cap === null ? Number.POSITIVE_INFINITY : (evaluatePure(retry.backoff.cap, frame) as number);
  const wait = retry.backoff.strategy === "exp" ? base * 2 ** (failed - 1) : retry.backoff.strategy === "linear" ? base * failed : base;
  return Math.round(Math.min(wait, cap));
}
