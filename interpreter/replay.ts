import type { Span } from "../compiler/ir/span.ts";
import { type Produced, RunCore } from "./core/advance.ts";
import type { StepRequest } from "./core/body-run.ts";
import { startAttempt, type UnitRun } from "./core/unit-run.ts";
import { placementOf } from "./core/placement.ts";
import { splitInstance } from "./core/plan.ts";
import { linePlaceOf } from "./core/source-place.ts";
import type { RunState } from "./core/state.ts";
import { describeBreak, isSealedFrom, sealPieces } from "./ledger/chain.ts";
import { recordedDecision, signatureHolds } from "./gates/decision.ts";
import { ChainCheck } from "./ledger/chain-check.ts";
import { type Draft, type Entry, type EntryKind, Entry as EntrySchema, entryOrigin, type EntryOf } from "./ledger/entry.ts";

export type ReplayVerdict =
  /** `status`: the run's at the recording's end (a ledger cut short, or of a run still going, ends before the run does). */
  | { readonly kind: "identical"; readonly entries: number; readonly head: string; readonly status: RunState["status"] }
  /** Replay produced another entry than the one recorded at `seq` (or one where the recording has none, or none where it has one). */
  | {
      readonly kind: "diverged";
      readonly seq: number;
      readonly expected: string | null;
      readonly recorded: string | null;
      readonly reason: string;
      readonly span: Span | null;
      /** Where `span` begins, `file:line:column`, from the recorded IR's line table; null for IR without one. */
      readonly place: string | null;
    }
  /** The hash chain is broken at `seq`: an entry was changed, dropped, inserted or moved. */
  | { readonly kind: "tampered"; readonly seq: number; readonly reason: string }
  /** The entry at `seq` is not one this flow reads. */
  | { readonly kind: "invalid"; readonly seq: number; readonly reason: string };

/**
 * `flow replay`: runs a recorded run again from its ledger alone and
 * compares every entry it produces with the recorded one, byte for byte.
 *
 * Entries from the world (a step's output, a vertex starting, a timer
 * firing, a takeover) are inputs: taken as recorded. Everything else is
 * produced again by the same code the live run used: `decide`'s entries by
 * RunCore after each batch of inputs, each body's checkpoints and result
 * by running the body again (BodyRun) on the recorded step results, whose
 * requests (op, arguments, journal id) must also be the ones recorded. The
 * first difference is reported with both entries and the source span of
 * what produced it.
 *
 * Two checks share the work: this one compares each produced entry with
 * the recorded text but for its two hashes (isSealedFrom), and the chain
 * check (ChainCheck, on another thread for a long ledger) checks every
 * recorded hash and link. Together they say that each recorded text is
 * what sealing the produced entry writes; a text found so is handed to
 * the chain check with where its hash is, and not parsed there. A broken
 * chain is reported before any difference after it: nothing past a break
 * can be trusted.
 *
 * `texts` is the ledger a text per entry, in order: in memory, or pages of
 * them (a file read a chunk at a time, a store a page at a time).
 */
export async function replayLedger(texts: Iterable<string> | AsyncIterable<readonly string[]>, chain = new ChainCheck()): Promise<ReplayVerdict> {
  let core: RunCore | null = null;
  /** The seq of the entry being read. */
  let seq = -1;
  /** What replay has produced and the recording must show next, in order. */
  const expected: Produced[] = [];
  const bodies = new Map<string, RunningBody>();
  /** The last takeover read (`run.resumed`): its seq and the head it links to. */
  let takeover: { readonly seq: number; readonly prev: string } | null = null;

  /** A produced entry as the live run would have written it here, after the recorded entry before it, for the report. */
  const sealedHere = (produced: Produced, recorded: string | null): string => sealPieces(produced.pieces, recordedPrev(recorded) ?? "?".repeat(64)).text;
  /** The prev of the recorded text at this seq, or of the last one read (a text missing at the end links to it). */
  let lastText: string | null = null;
  const recordedPrev = (recorded: string | null): string | null => {
    if (recorded !== null) return memberOf(recorded, "prev");
    return lastText === null ? null : memberOf(lastText, "hash");
  };

  const diverged = (produced: Produced | null, recorded: string | null, reason: string): ReplayVerdict => {
    const entry = produced?.entry ?? (recorded === null ? undefined : parsed(recorded));
    const span = core === null ? null : spanOf(core, entry);
    return {
      kind: "diverged",
      seq: produced?.entry.seq ?? seq,
      expected: produced === null ? null : sealedHere(produced, recorded),
      recorded,
      reason,
      span,
      place: span === null || core === null ? null : linePlaceOf(span, core.plan.ir.sources),
    };
  };

  /** Inputs were recorded since the last decisions; `decisive` when one of them is of a kind decided on. */
  let batch: { decisive: boolean } | null = null;
  /** The decisions that follow the batch of inputs read so far: made when the recording turns to decisions (or ends). */
  const decideBatch = (ready: RunCore) => {
    if (batch?.decisive === true) expected.push(...ready.produceDecisions());
    batch = null;
  };
  const inBatch = (kind: EntryKind) => {
    batch ??= { decisive: false };
    batch.decisive ||= RunCore.isDecisive(kind);
  };

  /** The first entry: the program, checked before anything runs. */
  const start = (text: string): ReplayVerdict | null => {
    const value = parsed(text);
    // The run's arguments are JSON already (parsed from the text): the schema's check of each value in them finds
    // only what `finiteJson` finds, and took 0.15–0.4 s in a fresh process for the list of a million-entry ledger.
    const args = (value?.data as { args?: unknown } | undefined)?.args;
    const plainArgs = typeof args === "object" && args !== null && !Array.isArray(args) && finiteJson(args);
    const first = EntrySchema.safeParse(plainArgs ? { ...value, data: { ...(value?.data as object), args: {} } } : value);
    if (!first.success || first.data.kind !== "run.started") return { kind: "invalid", seq, reason: "the first entry is not a valid run.started" };
    const started = (plainArgs ? { ...first.data, data: { ...first.data.data, args } } : first.data) as EntryOf<"run.started">;
    const refusal = RunCore.refusal(started);
    if (refusal !== null) return { kind: "invalid", seq, reason: `the run's program is refused: ${refusal}` };
    core = new RunCore(started);
    // Its decisions follow it, or, when the process died before recording them, the run.resumed that took the run
    // over: they are made where the recording turns to decisions, as after any batch of inputs.
    batch = { decisive: true };
    return null;
  };

  /** Where the hash member of the text being read is, when it is an entry replay produced but for its hashes; else -1. */
  let hashAt = -1;
  const sealedFrom = (produced: Produced, text: string): boolean => {
    if (!isSealedFrom(produced.pieces, text)) return false;
    hashAt = produced.pieces.before.length;
    return true;
  };

  /**
   * The body the last entry from the world fed, while the entries it produced then are read: they come right after
   * that entry (they are appended with it), so the next text is compared with the first of them before anything else.
   * A body its attempt's start fed joins `bodies` only if it is still running when the recording turns elsewhere
   * (`unfeed`): most finish first (a node without steps, a step answered from the journal), and a map that gained and
   * lost an entry for every attempt made its table again each time.
   */
  let fed: RunningBody | null = null;
  const unfeed = () => {
    if (fed !== null && (fed.drafts.length > 0 || fed.request !== null)) bodies.set(fed.body.instance, fed);
    fed = null;
  };

  /**
   * Takes a text that is the entry replay expects next, as its routing by kind would (below): the next decision made,
   * or the next entry of the body just fed. Most texts are one of these, and are then taken without reading their kind
   * and vertex out of them (two scans and two lookups by a new string, about a tenth of replay's time); any other
   * text, a difference included, is left to the routing, which reports it as before.
   */
  const expectedNext = (ready: RunCore, text: string): boolean => {
    const next = expected[0];
    if (next !== undefined) {
      // Decisions are read only after the batch they follow has been decided (decideBatch): nothing is pending.
      if (!sealedFrom(next, text)) return false;
      expected.shift();
      return true;
    }
    const draft = fed?.drafts[0];
    if (fed === null || draft === undefined) return false;
    const pieces = ready.piecesOf(draft);
    if (!isSealedFrom(pieces, text)) return false;
    fed.drafts.shift();
    if (fed.drafts.length === 0 && fed.request === null) bodies.delete(fed.body.instance);
    inBatch(draft.kind);
    ready.produce(draft, pieces);
    hashAt = pieces.before.length;
    return true;
  };

  /** Takes one recorded entry: null to go on, or the verdict that ends the replay. */
  const step = (ready: RunCore, text: string): ReplayVerdict | null => {
    if (expectedNext(ready, text)) return null;
    unfeed();
    // A text replay did not take as the one it expected next is from the world, mostly (the first decision after a
    // batch of inputs, and a body's entry read later than right after its input, are the others): it is parsed, as an
    // entry from the world must be, and routed by its kind. (Reading the kind out of the text first, to spare the
    // others a parse, cost the entries from the world that scan and a lookup by a new string each.)
    const entry = parsed(text);
    if (entry === undefined) return { kind: "invalid", seq, reason: "an entry that is not a JSON object" };
    const kind = String(entry.kind);
    const origin = origins.get(kind);
    if (origin === undefined) return { kind: "invalid", seq, reason: `an entry of unknown kind \`${kind}\`` };

    if (origin === "decided") {
      decideBatch(ready);
      const next = expected.shift();
      if (next === undefined) return diverged(null, text, "the recording has a decision here that replay does not make");
      return sealedFrom(next, text) ? null : diverged(next, text, "replay decided another entry here");
    }
    const next = expected[0];
    if (next !== undefined) return diverged(next, text, "replay decided another entry here");

    if (origin === "body") {
      const vertex = (entry as { vertex?: unknown }).vertex;
      const running = typeof vertex === "string" ? bodies.get(vertex) : undefined;
      const draft = running?.drafts.shift();
      if (running === undefined || draft === undefined) return diverged(null, text, "the recording has a body entry here that the body does not produce");
      // A body with nothing left to produce or ask for is done: its memory goes.
      if (running.drafts.length === 0 && running.request === null) bodies.delete(vertex as string);
      inBatch(draft.kind);
      const own = ready.produce(draft);
      return sealedFrom(own, text) ? null : diverged(own, text, "the body produced another entry here");
    }

    // From the world: taken as recorded; the body it feeds is run on.
    // A decision at a gate is someone's signature: it holds, or the recording is not what they signed; and it is
    // recorded with the takeover it was made for, on the head it was signed against (the head that takeover links to).
    if (entry.kind === "run.resumed") takeover = { seq, prev: entry.prev };
    if (entry.kind === "gate.decided") {
      if (!signatureHolds(recordedDecision(ready.state.run, entry))) {
        return { kind: "invalid", seq, reason: `the decision at ${entry.data.instance} is not signed by the key it names` };
      }
      if (takeover?.seq !== seq - 1 || takeover.prev !== entry.data.head) {
        return { kind: "invalid", seq, reason: `the decision at ${entry.data.instance} was signed against another head than the one it was recorded on` };
      }
    }
    try {
      inBatch(entry.kind);
      const fedNow = feedBody(ready, bodies, entry);
      if (typeof fedNow === "string") return diverged(null, text, fedNow);
      ready.fold(entry);
      fed = fedNow;
    } catch (error) {
      const checked = EntrySchema.safeParse(entry);
      const reason = checked.success ? `replay failed on this entry: ${(error as Error).message}` : `a malformed entry: ${checked.error.issues[0]?.message ?? "invalid"}`;
      return { kind: "invalid", seq, reason };
    }
    return null;
  };

  const take = (text: string): ReplayVerdict | null => {
    seq++;
    hashAt = -1;
    try {
      return core === null ? start(text) : step(core, text);
    } catch (error) {
      // What the recording holds made the interpreter fail (a tampered ledger does, and the chain check says so).
      return { kind: "invalid", seq, reason: `replay failed on this entry: ${(error as Error).message}` };
    } finally {
      // Given to the chain check once read: one replay made needs no parse there (ChainCheck).
      chain.add(text, hashAt);
      lastText = text;
    }
  };

  const read = async (): Promise<ReplayVerdict | null> => {
    if (Array.isArray(texts)) {
      // By index: a for-of here made an iterator result for every text (this loop is in an async function).
      for (let i = 0; i < texts.length; i++) {
        const verdict = take(texts[i] as string);
        if (verdict !== null) return verdict;
      }
    } else if (Symbol.iterator in texts) {
      for (const text of texts) {
        const verdict = take(text);
        if (verdict !== null) return verdict;
      }
    } else {
      for await (const page of texts) {
        for (const text of page) {
          const verdict = take(text);
          if (verdict !== null) return verdict;
        }
      }
    }
    // Assigned by `take`, which TypeScript does not follow.
    const last = core as RunCore | null;
    if (last === null) return { kind: "invalid", seq: 0, reason: "the ledger is empty" };
    decideBatch(last);
    seq++;
    unfeed();
    // A body's entries are appended with the step that produced them: a ledger cut between the two was not written whole.
    for (const running of bodies.values()) {
      const draft = running.drafts[0];
      if (draft !== undefined) return diverged(last.produce(draft), null, "the recording ends before an entry the body produces");
    }
    const missing = expected[0];
    if (missing !== undefined) return diverged(missing, null, "the recording ends before an entry replay decides");
    return null;
  };

  let verdict: ReplayVerdict | null;
  try {
    verdict = await read();
  } catch (error) {
    // The texts could not be read (a file, a store): there is no verdict, and the check's thread goes too.
    await chain.close();
    throw error;
  }
  // Whatever replay concluded, a break in the chain up to where it stopped comes first.
  const links = await chain.finish();
  if ("broken" in links) return { kind: "tampered", seq: links.broken.seq, reason: describeBreak(links.broken) };
  // Identical needs a first entry, which made the core.
  return verdict ?? { kind: "identical", entries: links.entries, head: links.head.hash, status: (core as RunCore | null)?.state.status ?? "running" };
}

interface RunningBody {
  readonly body: UnitRun;
  request: StepRequest | null;
  readonly drafts: Draft[];
}

/**
 * Each kind's origin, in a map: a kind read from a text is a new string,
 * which a map finds by its hash, where an object's property lookup would
 * first have to find it among the engine's internalized strings.
 */
const origins: ReadonlyMap<string, (typeof entryOrigin)[EntryKind]> = new Map(Object.entries(entryOrigin));

/** A recorded text parsed, or undefined when it is not a JSON object (the chain check reports it). */
function parsed(text: string): Entry | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Entry) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a parsed JSON value is one the ledger's `Json` schema accepts: JSON.parse reads a number too large as Infinity. */
function finiteJson(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) return value.every(finiteJson);
  for (const key in value) if (!finiteJson((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** A string member of a recorded text, for reports: null when it has none. */
function memberOf(text: string, name: "prev" | "hash"): string | null {
  const value = (parsed(text) as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : null;
}

/**
 * Starts or continues the body of the attempt a world entry concerns: the body fed (null when the entry feeds none), or
 * a problem if the recording asks for another step than the body does.
 */
function feedBody(core: RunCore, bodies: Map<string, RunningBody>, entry: Entry): RunningBody | string | null {
  switch (entry.kind) {
    case "vertex.started": {
      const vertex = core.state.vertices.get(entry.vertex);
      // Its place, which the fold asks for again when the attempt ends (the next entry, for most): worked out once.
      const unit = core.plan.units.get(placementOf(core.plan, entry.vertex).vertex?.unit ?? "");
      if (vertex === undefined || unit === undefined) return `vertex ${entry.vertex} started without being scheduled`;
      const body = startAttempt(core.plan, core.state, entry.vertex, entry.attempt, unit, vertex.args);
      const progress = body.resume(entry.at);
      const running: RunningBody = { body, request: progress.kind === "step" ? progress.request : null, drafts: progress.drafts };
      // It is fed, and joins the bodies once unfed (replayLedger), unless it takes the place of one there (in its order).
      if (bodies.has(entry.vertex)) bodies.set(entry.vertex, running);
      return running;
    }
    case "step.completed":
    case "step.failed": {
      const running = bodies.get(entry.vertex);
      const request = running?.request;
      if (running === undefined || request === undefined || request === null) return `a step of ${entry.vertex} the body never asked for`;
      if (request.index !== entry.data.index || request.op !== entry.data.op || request.id !== entry.data.id) {
        return `the body asks for step ${request.index} \`${request.op}\` (${request.id.slice(0, 12)}…), the recording has \`${entry.data.op}\` (${entry.data.id.slice(0, 12)}…)`;
      }
      const reply = entry.kind === "step.completed" ? { result: entry.data.result } : { failure: entry.data.failure };
      const progress = running.body.resume(entry.at, reply);
      running.request = progress.kind === "step" ? progress.request : null;
      running.drafts.push(...progress.drafts);
      return running;
    }
    case "vertex.aborted":
      bodies.delete(entry.vertex);
      return null;
    default:
      return null;
  }
}

/** The IR span of what produced an entry: its vertex, fan-out or barrier, else the workflow. */
function spanOf(core: RunCore, entry: Entry | undefined): Span {
  const plan = core.plan;
  if (entry !== undefined) {
    if ("vertex" in entry && typeof entry.vertex === "string") {
      const vertex = plan.vertices.get(splitInstance(entry.vertex).id);
      if (vertex !== undefined) return vertex.span;
    }
    const instance = (entry.data as { instance?: unknown }).instance;
    if (typeof instance === "string") {
      const id = splitInstance(instance).id;
      const element = plan.fanOuts.get(id) ?? plan.barriers.get(id);
      if (element !== undefined) return element.span;
    }
  }
  return plan.workflow.span;
}
