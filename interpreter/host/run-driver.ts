import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { join } from "node:path";
import { RunCore, type Sealed } from "../core/advance.ts";
import { pendingTimers } from "../core/pending-timers.ts";
import { snapshotText } from "../core/snapshot.ts";
import { emptyHead, seal } from "../ledger/chain.ts";
import type { DeliveryRecord, Draft, Entry, EntryOf, RunOptions } from "../ledger/entry.ts";
import { processEnded } from "../sandbox/process-state.ts";
import type { Sandboxes } from "../sandbox/sandboxes.ts";
import type { ParkNoticeInput } from "./park-notice.ts";
import type { Lease, RunStatus, Store } from "../store/store.ts";
import { endedAs } from "../store/run-ended.ts";
import { runAttempt } from "./attempt.ts";
import { type CallRoute, ModelCaller } from "./model-caller.ts";
import { readRun } from "./read-run.ts";

export interface DriverOptions {
  readonly store: Store;
  /** Which driver and settings each sandbox profile means. */
  readonly sandboxes: Sandboxes;
  /** Where runs get their work trees (`.flow/work`): each vertex instance's is `RUN/INSTANCE` under it, so runs never share one. */
  readonly workRoot: string;
  /** Where checkpoints keep work trees' files, each content once; default `WORKROOT/.objects` (no run id starts with a dot). */
  readonly objects?: string;
  readonly clock: () => number;
  /** Told of every entry once it is durable, in order: the progress display, `--json`. */
  readonly onEntries?: (sealed: readonly Sealed[]) => void;
  /** Save a snapshot after this many entries since the last, or this much time. */
  readonly snapshotEvery?: { readonly entries: number; readonly ms: number };
  /**
   * A run with nothing in flight whose next timer is further off than this
   * parks: the process lets it go (rows only) and `flow tick` continues it
   * when the time comes. Nearer timers (a retry's backoff, a short sleep)
   * are waited for here. Default 60 s.
   */
  readonly parkAfterMs?: number;
  /** Every so often while the run is driven, and whenever it is let go: the account of it so far (a signed receipt). */
  readonly account?: { readonly everyMs: number; readonly issue: (run: string) => Promise<string> };
  /** The model route agents' calls go through, for a run with these options (its `--script`); without it, no model can be called. */
  readonly models?: (options: RunOptions) => CallRoute;
  /** Tells the world a run parked (the project's webhook); what it answered is recorded (`notification.sent`). */
  readonly notify?: (parked: Omit<ParkNoticeInput, "approveHint">) => Promise<DeliveryRecord>;
}

/** World entries recorded as the driver takes a run over, with what their maker saw the ledger's head to be (an approval signed against that head). */
export interface Answer {
  readonly drafts: readonly Draft[];
  readonly head: string;
}

/** The run's lease is held by a live process: it is being driven elsewhere. */
export class RunHeld extends Error {
  constructor(
    readonly run: string,
    readonly holder: Lease,
  ) {
    super(`run ${run} is being driven by ${holder.owner} (its lease runs until ${new Date(holder.expiresAt).toISOString()})`);
    this.name = "RunHeld";
  }
}

export type DriveOutcome = "completed" | "failed" | "parked" | "paused" | "aborted" | "cancelled" | "interrupted";

/** How long a lease lasts without renewal; a live driver renews it every third of that. */
const leaseTtl = 30_000;

/** How often a driver looks for a pause or cancel left for its run (`flow pause`, `flow cancel`). */
const controlEvery = 500;

/**
 * Drives one run: the only code that both decides (through RunCore) and
 * acts. The loop takes what the world reported (attempts' entries, timers
 * firing), records it with everything `decide` concludes from it in one
 * durable append, and only then acts on the decisions: starts attempts,
 * arms timers. So nothing is done that the ledger does not already say
 * was decided, and a crash at any point leaves a ledger that `resume`
 * continues from.
 */
export class RunDriver {
  private readonly inbox: Draft[][] = [];
  private wake: (() => void) | null = null;
  /** Attempts and park notifications under way: a run is let go only once none is. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly stopping = new AbortController();
  private sinceSnapshot = { entries: 0, at: 0 };
  private renewal: NodeJS.Timeout | null = null;
  private failure: Error | null = null;

  /** The project's sandboxes as this run uses them (on one driver if it was started with `--sandbox`). */
  private readonly sandboxes: Sandboxes;
  private readonly models: ModelCaller | null;

  private constructor(
    private readonly options: DriverOptions,
    readonly core: RunCore,
    private readonly lease: Lease,
  ) {
    this.sinceSnapshot.at = options.clock();
    this.sandboxes = options.sandboxes.forRun(core.state.options.sandbox);
    this.models = options.models === undefined ? null : new ModelCaller(options.models(core.state.options), core.plan.ir.routes);
    // Every attempt in flight listens for the run stopping.
    setMaxListeners(0, this.stopping.signal);
  }

  get run(): string {
    return this.core.state.run;
  }

  /** Records a new run's first entry and first decisions. */
  static async start(options: DriverOptions, first: Draft & { kind: "run.started" }, source: string): Promise<RunDriver> {
    options.sandboxes.forRun(first.data.options.sandbox).check(first.data.ir.units);
    const run = newRunId(first.at);
    const firstEntry = seal(run, emptyHead, first);
    const core = new RunCore(firstEntry.entry as EntryOf<"run.started">);
    await options.store.createRun(
      { id: run, workflow: first.data.workflow, source, irHash: first.data.irHash, createdAt: first.at, status: "running", updatedAt: first.at },
      { seq: 0, kind: "run.started", text: firstEntry.text, hash: firstEntry.entry.hash },
    );
    const lease = await takeLease(options, run);
    const driver = new RunDriver(options, core, lease);
    options.onEntries?.([firstEntry]);
    // Recorded now, carried out by `drive`: a run handed to another process (`--detach`) must start nothing here.
    await driver.commit(core.decideAll(), false);
    return driver;
  }

  /**
   * Reads a run back (its latest snapshot and the entries after it) and
   * records that this process takes it over, with `answer` (a decision at
   * a gate, a signal) in the same append when given: refused when the
   * head moved on from the one the answer was made against.
   */
  static async resume(options: DriverOptions, run: string, answer?: Answer): Promise<RunDriver> {
    const { store } = options;
    const record = await store.getRun(run);
    if (record === null) throw new Error(`no run ${run} in this store`);
    const { core, first } = await readRun(store, run);
    const refusal = RunCore.refusal(first, "hash");
    if (refusal !== null) throw new Error(`run ${run} cannot be resumed: ${refusal}`);
    options.sandboxes.forRun(core.state.options.sandbox).check(core.plan.units.values());
    const lease = await takeLease(options, run);
    const driver = new RunDriver(options, core, lease);
    const ended = endedAs(core.state.status);
    if (ended !== null) {
      if (answer === undefined) return driver;
      await driver.release();
      throw new Error(`run ${run} has already ${ended}`);
    }
    if (answer !== undefined && answer.head !== core.state.head.hash) {
      await driver.release();
      throw new StaleAnswer(run, core.state.head.seq);
    }
    driver.armPending();
    const at = options.clock();
    const resumed: Draft = { kind: "run.resumed", at, data: { by: lease.owner } };
    driver.resumedAt = core.state.head.seq + 1;
    // The answer arrives as the process takes the run over: one time for both.
    await driver.commit(core.advance([resumed, ...(answer?.drafts ?? []).map((draft) => ({ ...draft, at }) as Draft)]));
    return driver;
  }

  /** Runs until the run completes, fails, parks with nothing in flight, or is stopped. */
  async drive(): Promise<DriveOutcome> {
    for (const { entry } of this.undone.splice(0)) this.act(entry);
    this.renewal = setInterval(() => {
      this.options.store.renewLease(this.run, this.lease.epoch, this.options.clock(), leaseTtl).catch((error: Error) => this.fail(error));
    }, leaseTtl / 3);
    this.controls = setInterval(() => void this.lookForControl().catch((error: Error) => this.fail(error)), controlEvery);
    const account = this.options.account;
    if (account !== undefined) {
      this.accounts = setInterval(() => {
        account.issue(this.run).then((file) => (this.lastAccount = file), (error: Error) => this.fail(error));
      }, account.everyMs);
    }
    try {
      for (;;) {
        if (this.failure !== null) break;
        if (this.inbox.length === 0) {
          const status = this.core.state.status;
          if (this.stopping.signal.aborted) break;
          if (status === "completed" || status === "failed" || status === "aborted" || status === "cancelled") break;
          if (status === "paused" && this.inFlight.size === 0) break;
          // Nothing in flight and nothing due soon (a gate's timeout is days off): the run is rows only from here.
          if (this.inFlight.size === 0 && (this.timers.size === 0 || this.nextTimer() - this.options.clock() > (this.options.parkAfterMs ?? 60_000))) break;
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        await this.commit(this.core.advance(this.inbox.splice(0).flat()));
      }
    } catch (error) {
      this.failure ??= error as Error;
    } finally {
      if (this.renewal !== null) clearInterval(this.renewal);
      if (this.controls !== null) clearInterval(this.controls);
      if (this.accounts !== null) clearInterval(this.accounts);
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.stopping.abort();
      await Promise.allSettled([...this.inFlight]);
    }
    // Whatever happened, the run is let go: its status says where it stands and its lease is free for the next driver.
    let outcome: DriveOutcome = "interrupted";
    try {
      if (this.failure === null) outcome = await this.letGo();
    } catch (error) {
      this.failure ??= error as Error;
    } finally {
      await this.options.store.setRunStatus(this.run, outcome, this.options.clock());
      await this.options.store.releaseLease(this.run, this.lease.epoch);
    }
    if (this.failure !== null) throw this.failure;
    return outcome;
  }

  /**
   * What the run is left as: a cancel or a pause left for it since the
   * driver last looked is carried out (nothing is in flight now); the
   * cancellation, if any, recorded last; a snapshot for a run left to wait;
   * its account issued (a receipt it could not write is reported, and
   * does not undo the run).
   */
  private async letGo(): Promise<DriveOutcome> {
    const settled = (): boolean => ["completed", "failed", "cancelled"].includes(this.core.state.status);
    if (this.cancelledBy === null && !settled()) {
      const last = await this.options.store.controlRequest(this.run);
      if (last?.kind === "cancel") this.cancelledBy = last.by;
      else if (last?.kind === "pause" && this.core.state.status !== "paused") {
        await this.commit(this.core.advance([{ kind: "run.paused", at: this.options.clock(), data: { by: last.by } }]), false);
        await this.options.store.clearControl(this.run);
      }
    }
    if (this.cancelledBy !== null && this.core.state.status !== "cancelled") {
      // What was in flight has been stopped and has settled: the cancellation is the ledger's last word.
      await this.commit(this.core.advance([{ kind: "run.cancelled", at: this.options.clock(), data: { by: this.cancelledBy } }]), false);
      await this.options.store.clearControl(this.run);
    }
    // A run whose end is recorded has ended, even when it was stopped as it did.
    const outcome: DriveOutcome = this.stoppedByUser && !settled() ? "interrupted" : this.outcome();
    if (!settled() && outcome !== "interrupted") {
      // Let go to wait (parked, paused, aborted): whoever takes it up next reads this snapshot, not the whole ledger.
      await this.options.store.saveSnapshot(this.run, { seq: this.core.state.head.seq, text: snapshotText(this.core.state) });
    }
    if (outcome !== "interrupted" && this.options.account !== undefined) {
      try {
        this.lastAccount = await this.options.account.issue(this.run);
      } catch (error) {
        this.accountFailure = error as Error;
      }
    }
    return outcome;
  }

  /** Why the run's account could not be issued as it was let go, if it could not. */
  accountFailure: Error | null = null;
  private stoppedByUser = false;
  private controls: NodeJS.Timeout | null = null;
  private accounts: NodeJS.Timeout | null = null;
  /** The seq of the entry recording that this process took the run over (`run.resumed`), when it did: what it decides next comes after it. */
  resumedAt: number | null = null;
  /** Where the last account of the run went (a receipt's file), if one was issued. */
  lastAccount: string | null = null;
  private cancelledBy: string | null = null;
  private pausedBy: string | null = null;

  /**
   * Carries out what `flow pause` or `flow cancel` left in the store for
   * this run: a pause is recorded and the run drains; a cancel stops what
   * is in flight (its processes killed) and is recorded once it has.
   */
  private async lookForControl(): Promise<void> {
    if (this.cancelledBy !== null || this.stopping.signal.aborted) return;
    const request = await this.options.store.controlRequest(this.run);
    if (request === null) return;
    if (request.kind === "cancel") {
      this.cancelledBy = request.by;
      this.stoppedByUser = true;
      this.stopping.abort();
      this.wake?.();
      return;
    }
    if (this.pausedBy !== null) return;
    this.pausedBy = request.by;
    this.submit([{ kind: "run.paused", at: this.options.clock(), data: { by: request.by } }]);
    await this.options.store.clearControl(this.run);
  }

  /** Gives the run up without driving it (`flow run --detach` hands it to another process). */
  async release(): Promise<void> {
    await this.options.store.releaseLease(this.run, this.lease.epoch);
  }

  /** Stops the run where it is (Ctrl-C): attempts in flight are killed and run again by `flow resume`. */
  stop(): void {
    this.stoppedByUser = true;
    this.stopping.abort();
    this.wake?.();
  }

  private outcome(): DriveOutcome {
    const status = this.core.state.status;
    return status === "running" ? "parked" : status;
  }

  private fail(error: Error): void {
    // Once someone stopped the run (Ctrl-C, a cancel), what fails as its attempts are killed is the stopping's doing.
    if (this.stoppedByUser) return;
    this.failure ??= error;
    this.stopping.abort();
    this.wake?.();
  }

  private submit = (drafts: Draft[]): void => {
    if (this.stopping.signal.aborted) return;
    this.inbox.push(drafts);
    this.wake?.();
  };

  /** Entries `start` recorded and did not act on: `drive` acts on them, `release` leaves them to the next driver. */
  private readonly undone: Sealed[] = [];

  /** Appends durably, then acts on what was decided (or, with `act` false, leaves that to `drive`). */
  private async commit(sealed: readonly Sealed[], act = true): Promise<void> {
    if (sealed.length === 0) return;
    await this.options.store.append(
      this.run,
      sealed.map((s) => ({ seq: s.entry.seq, kind: s.entry.kind, text: s.text, hash: s.entry.hash })),
      this.lease.epoch,
    );
    this.options.onEntries?.(sealed);
    if (act) for (const { entry } of sealed) this.act(entry);
    else this.undone.push(...sealed);
    await this.maybeSnapshot(sealed.length);
  }

  private act(entry: Entry): void {
    switch (entry.kind) {
      case "vertex.scheduled": {
        const task = runAttempt(
          {
            plan: this.core.plan,
            state: this.core.state,
            sandboxes: this.sandboxes,
            workRoot: join(this.options.workRoot, this.run),
            objects: this.options.objects ?? join(this.options.workRoot, ".objects"),
            submit: this.submit,
            clock: this.options.clock,
            stopped: this.stopping.signal,
            models: this.models,
          },
          entry.vertex,
          entry.attempt,
          entry.data.args,
          entry.data.resumed,
        ).catch((error: Error) => this.fail(error));
        this.inFlight.add(task);
        void task.finally(() => {
          this.inFlight.delete(task);
          this.wake?.();
        });
        return;
      }
      case "timer.set":
        this.arm(entry.data.timer, entry.data.until);
        return;
      case "run.parked":
        // The store says `parked` once the run is let go (other attempts may still be running now).
        this.announce(entry);
        return;
      default:
        return;
    }
  }

  /** Sends the park notification, if the project has somewhere to send it; the run is let go only once it is recorded. */
  private announce(entry: EntryOf<"run.parked">): void {
    const notify = this.options.notify;
    if (notify === undefined) return;
    const { state } = this.core;
    const task = notify({
      run: this.run,
      workflow: state.workflow,
      instance: entry.data.instance,
      waitingFor: entry.data.waitingFor,
      show: entry.data.show,
      spent: { ...state.budget.spent },
      ceilings: state.budget.ceilings,
    })
      .then((record) => this.submit([{ kind: "notification.sent", at: this.options.clock(), data: { instance: entry.data.instance, record } }]))
      .catch((error: Error) => this.fail(error));
    this.inFlight.add(task);
    void task.finally(() => {
      this.inFlight.delete(task);
      this.wake?.();
    });
  }

  /** When the next timer the run still waits for is due. */
  private nextTimer(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const [, until] of pendingTimers(this.core.state)) if (until < next) next = until;
    return next;
  }

  /** Arms every timer the run still waits for (after a resume). */
  private armPending(): void {
    for (const [timer, until] of pendingTimers(this.core.state)) this.arm(timer, until);
  }

  private arm(timer: string, until: number): void {
    if (this.timers.has(timer)) return;
    const fire = () => {
      this.timers.delete(timer);
      // A gate decided or a signal received while it was armed: its timeout no longer matters, and nothing is recorded.
      if (![...pendingTimers(this.core.state)].some(([pending]) => pending === timer)) return;
      this.submit([{ kind: "timer.fired", at: this.options.clock(), data: { timer } }]);
    };
    // setTimeout holds at most ~24.8 days; a longer wait is re-armed when it wakes early.
    const wait = Math.max(0, until - this.options.clock());
    this.timers.set(
      timer,
      setTimeout(
        () => {
          if (this.options.clock() >= until) return fire();
          this.timers.delete(timer);
          this.arm(timer, until);
        },
        Math.min(wait, 2 ** 31 - 1),
      ),
    );
  }

  private async maybeSnapshot(added: number): Promise<void> {
    const every = this.options.snapshotEvery ?? { entries: 10_000, ms: 60_000 };
    this.sinceSnapshot.entries += added;
    const now = this.options.clock();
    if (this.sinceSnapshot.entries < every.entries && now - this.sinceSnapshot.at < every.ms) return;
    this.sinceSnapshot = { entries: 0, at: now };
    await this.options.store.saveSnapshot(this.run, { seq: this.core.state.head.seq, text: snapshotText(this.core.state) });
  }
}

/** An answer made against a head the ledger has moved on from: whoever made it did not see what happened since. */
export class StaleAnswer extends Error {
  constructor(run: string, seq: number) {
    super(`run ${run} has moved on (its ledger is at entry ${seq}) since this answer was made`);
  }
}

async function takeLease(options: DriverOptions, run: string): Promise<Lease> {
  const owner = `${hostname()}:${process.pid}`;
  const taken = await options.store.acquireLease(run, owner, options.clock(), leaseTtl, (holder) => holderIsGone(holder));
  if ("heldBy" in taken) throw new RunHeld(run, taken.heldBy);
  return taken.granted;
}

/**
 * Who drives a run now, as far as this machine can tell: a live process
 * holding its lease (here, or on another machine until its lease
 * expires), or nobody (never leased, released, expired, or held by a
 * process of this machine that is gone).
 */
export async function driverOf(store: Store, run: string, now: number): Promise<{ readonly kind: "live" | "elsewhere"; readonly lease: Lease } | { readonly kind: "none"; readonly last: Lease | null }> {
  const lease = await store.lease(run);
  if (lease === null || lease.expiresAt <= now) return { kind: "none", last: lease };
  if (holderIsGone(lease)) return { kind: "none", last: lease };
  return { kind: lease.owner.startsWith(`${hostname()}:`) ? "live" : "elsewhere", lease };
}

/** A holder on this machine whose process has ended (killed, even if not reaped yet) has crashed: its lease may be taken over at once. */
function holderIsGone(holder: Lease): boolean {
  const [host, pid] = holder.owner.split(":");
  if (host !== hostname() || pid === undefined) return false;
  return processEnded(Number(pid));
}

/** `20261122-120455-3fa9c1`: sortable by start time, unique by its random tail. */
function newRunId(at: number): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const tail = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${stamp}-${tail}`;
}
