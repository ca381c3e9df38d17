import { irHash } from "../../compiler/ir/hash.ts";
import { verifyIr } from "../../compiler/verify-ir.ts";
import { complete, type EntryPieces, entryPieces, seal } from "../ledger/chain.ts";
import type { Draft, Entry, EntryKind, EntryOf } from "../ledger/entry.ts";
import { apply, initialState } from "./apply.ts";
import { decide } from "./decide.ts";
import { DecideMemo } from "./memo.ts";
import { planRun, type RunPlan } from "./plan.ts";
import type { RunState } from "./state.ts";

/** An entry as it joins the ledger: the entry and its canonical text, byte for byte what the store keeps. */
export interface Sealed {
  readonly entry: Entry;
  readonly text: string;
}

/**
 * An entry as replay produces it: the entry, its hashes left empty, and its
 * text in pieces, which replay compares with the recorded text while the
 * chain check (ledger/chain-check.ts) checks the recorded hashes.
 */
export interface Produced {
  readonly entry: Entry;
  readonly pieces: EntryPieces;
}

/**
 * Entries after which `decide` may have something new to look at. A
 * vertex starting, a step's result and a checkpoint change nothing it
 * reads, so a batch of only those is not decided on.
 */
const decisive: { readonly [K in EntryKind]: boolean } = {
  "run.started": true,
  "run.resumed": true,
  "run.completed": false,
  "run.failed": false,
  "run.parked": false,
  "vertex.scheduled": false,
  "vertex.started": false,
  "step.completed": false,
  "step.failed": false,
  "vertex.checkpoint": false,
  "vertex.completed": true,
  "vertex.failed": true,
  "vertex.aborted": true,
  "vertex.retrying": false,
  "vertex.skipped": false,
  "fanout.expanded": false,
  "fanout.dropped": false,
  "barrier.passed": false,
  "timer.set": false,
  "timer.fired": true,
  "gate.decided": true,
  "gate.defaulted": false,
  "signal.received": true,
  "notification.sent": false,
  "run.paused": false,
  "run.unpaused": true,
  "run.cancelled": false,
  "budget.refused": false,
  "budget.set": true,
  "run.aborted": false,
};

/**
 * The deterministic core of one run: its plan, its state, and the rule
 * that turns each entry from the world (or a body) into the entries that
 * follow from it: seal, apply, then decide and apply until there is
 * nothing more to decide. The live runner and replay both go through
 * `advance`, so they produce the same entries from the same inputs.
 */
export class RunCore {
  readonly plan: RunPlan;
  readonly state: RunState;
  private readonly memo = new DecideMemo();

  /**
   * Checks that a run's first entry holds a program this flow will run:
   * the IR hashes to the hash recorded with it and `verifyIr` accepts it.
   * The interpreter runs nothing else, on a first run, a resume or a replay.
   */
  static refusal(first: EntryOf<"run.started">, check: "hash" | "verify" = "verify"): string | null {
    if (irHash(first.data.ir) !== first.data.irHash) return "its IR does not hash to the hash recorded with it";
    // A run this store recorded was verified when it started (`flow run` runs nothing else), and the hash chain says
    // its first entry is as written then: resuming it checks the hash; a ledger from elsewhere is verified again.
    if (check === "hash") return null;
    const problems = verifyIr(first.data.ir);
    if (problems.length > 0) return `its IR does not verify: ${problems[0]?.code} ${problems[0]?.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`;
    return null;
  }

  /** From the first entry, or from a snapshot of the state at a later seq. */
  constructor(first: EntryOf<"run.started">, snapshot?: RunState) {
    this.plan = planRun(first.data.ir, first.data.irHash, first.data.workflow);
    this.state = snapshot ?? initialState(first);
  }

  /**
   * Records a batch of entries from the world and from bodies, in order,
   * then everything `decide` concludes from them. Decisions follow each
   * batch, never its middle: in the ledger, a batch's decisions come right
   * after its last entry, which is where replay decides again.
   */
  advance(batch: readonly Draft[]): Sealed[] {
    const sealed = batch.map((draft) => this.record(draft));
    if (batch.some((draft) => decisive[draft.kind])) sealed.push(...this.decideAll());
    return sealed;
  }

  /** Everything `decide` concludes from the state as it is, applied: what follows a batch, the first entry, or a resumed fold. */
  decideAll(): Sealed[] {
    return this.decideWith((draft) => this.record(draft));
  }

  /** Records one entry from the world or a body without deciding (replay decides at the end of the batch). */
  input(draft: Draft): Sealed {
    return this.record(draft);
  }

  /**
   * `decideAll` and `input` for replay, which compares texts and leaves the
   * hashes to the chain check: the same entries, applied alike, not hashed.
   * A core that produces (replay's) never seals: its head's hash is empty.
   */
  produceDecisions(): Produced[] {
    return this.decideWith((draft) => this.produce(draft));
  }

  /** The text `produce` would make of a draft now, in pieces, without applying it: replay compares it first. */
  piecesOf(draft: Draft): EntryPieces {
    return entryPieces(this.state.run, this.state.head.seq + 1, draft);
  }

  /** `pieces`: the draft's, from `piecesOf` just before. */
  produce(draft: Draft, pieces = this.piecesOf(draft)): Produced {
    const seq = this.state.head.seq + 1;
    const entry = complete(draft, this.state.run, seq, "", "");
    apply(this.state, entry, this.plan);
    return { entry, pieces };
  }

  /** Whether a batch with this entry is decided on (the same rule as `advance`). */
  static isDecisive(kind: EntryKind): boolean {
    return decisive[kind];
  }

  /** Applies an entry read back from the ledger, already sealed (resuming, replay), without deciding. */
  fold(entry: Entry): void {
    apply(this.state, entry, this.plan);
  }

  private decideWith<T>(take: (draft: Draft) => T): T[] {
    const taken: T[] = [];
    for (;;) {
      const drafts = decide(this.state, this.plan, this.memo);
      if (drafts.length === 0) return taken;
      for (const draft of drafts) taken.push(take(draft));
    }
  }

  private record(draft: Draft): Sealed {
    const sealed = seal(this.state.run, this.state.head, draft);
    apply(this.state, sealed.entry, this.plan);
    return sealed;
  }
}
