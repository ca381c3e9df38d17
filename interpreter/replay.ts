import type { Span } from "../compiler/ir/span.ts";
import { RunCore, type Sealed } from "./core/advance.ts";
import { BodyRun, type StepRequest } from "./core/body-run.ts";
import { splitInstance } from "./core/plan.ts";
import { checkLink, describeBreak, emptyHead } from "./ledger/chain.ts";
import { type Draft, type Entry, Entry as EntrySchema, entryOrigin, type EntryOf } from "./ledger/entry.ts";

export type ReplayVerdict =
  | { readonly kind: "identical"; readonly entries: number; readonly head: string }
  /** Replay produced another entry than the one recorded at `seq` (or one where the recording has none, or none where it has one). */
  | {
      readonly kind: "diverged";
      readonly seq: number;
      readonly expected: string | null;
      readonly recorded: string | null;
      readonly reason: string;
      readonly span: Span | null;
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
 * firing, a takeover) are inputs: taken as recorded, their hash checked.
 * Everything else is produced again by the same code the live run used:
 * `decide`'s entries by RunCore after each input, each body's checkpoints
 * and result by running the body again (BodyRun) on the recorded step
 * results, whose requests (op, arguments, journal id) must also be the
 * ones recorded. The first difference is reported with both entries and
 * the source span of what produced it.
 */
export async function replayLedger(texts: AsyncIterable<string> | Iterable<string>): Promise<ReplayVerdict> {
  let core: RunCore | null = null;
  let head = emptyHead;
  let run: string | null = null;
  /** What replay has produced and the recording must show next, in order. */
  const expected: Sealed[] = [];
  const bodies = new Map<string, { body: BodyRun; request: StepRequest | null; drafts: Draft[] }>();
  let count = 0;

  const diverged = (seq: number, expectedText: string | null, recorded: string | null, reason: string, entry?: Entry): ReplayVerdict => ({
    kind: "diverged",
    seq,
    expected: expectedText,
    recorded,
    reason,
    span: core === null ? null : spanOf(core, entry ?? (expectedText === null ? undefined : (JSON.parse(expectedText) as Entry))),
  });

  /** Inputs were recorded since the last decisions; `decisive` when one of them is of a kind decided on. */
  let batch: { decisive: boolean } | null = null;
  /** The decisions that follow the batch of inputs read so far: made when the recording turns to decisions (or ends). */
  const decideBatch = () => {
    if (core !== null && batch?.decisive === true) expected.push(...core.decideAll());
    batch = null;
  };

  /** Takes one recorded entry: null to go on, or the verdict that ends the replay. */
  const step = (text: string): ReplayVerdict | null => {
    const seq = head.seq + 1;
    // The fast path: an entry replay produces itself (a decision, a body's entry) is compared as text with what
    // replay sealed, which links to the chain by construction: equal text, equal entry, equal hash.
    if (core !== null) {
      const kind = peekMember(text, "kind");
      const origin = kind === undefined ? undefined : (entryOrigin as Record<string, string | undefined>)[kind];
      if (origin === "decided") {
        decideBatch();
        if (expected[0]?.text === text) {
          head = { seq, hash: (expected.shift() as Sealed).entry.hash };
          count++;
          return null;
        }
      } else if (origin === "body" && expected.length === 0) {
        const vertex = peekMember(text, "vertex");
        const running = vertex === undefined ? undefined : bodies.get(vertex);
        const draft = running?.drafts[0];
        if (running !== undefined && draft !== undefined) {
          running.drafts.shift();
          // A body with nothing left to produce or ask for is done: its memory goes.
          if (running.drafts.length === 0 && running.request === null) bodies.delete(vertex as string);
          batch ??= { decisive: false };
          batch.decisive ||= RunCore.isDecisive(draft.kind);
          const own = core.input(draft);
          if (own.text !== text) {
            const link = checkLink(run, head, text);
            if ("broken" in link) return { kind: "tampered", seq, reason: describeBreak(link.broken) };
            return diverged(seq, own.text, text, "the body produced another entry here", link.entry);
          }
          head = { seq, hash: own.entry.hash };
          count++;
          return null;
        }
      }
    }
    const link = checkLink(run, head, text);
    if ("broken" in link) return { kind: "tampered", seq, reason: describeBreak(link.broken) };
    const entry = link.entry;
    head = { seq, hash: entry.hash };
    count++;

    if (core === null) {
      const parsed = EntrySchema.safeParse(entry);
      if (!parsed.success || parsed.data.kind !== "run.started") return { kind: "invalid", seq, reason: "the first entry is not a valid run.started" };
      run = entry.run;
      const refusal = RunCore.refusal(parsed.data as EntryOf<"run.started">);
      if (refusal !== null) return { kind: "invalid", seq, reason: `the run's program is refused: ${refusal}` };
      core = new RunCore(parsed.data as EntryOf<"run.started">);
      // Its decisions follow it, or, when the process died before recording them, the run.resumed that took the run
      // over: they are made where the recording turns to decisions, as after any batch of inputs.
      batch = { decisive: true };
      return null;
    }

    const origin = (entryOrigin as Record<string, string | undefined>)[entry.kind];
    if (origin === undefined) return { kind: "invalid", seq, reason: `an entry of unknown kind \`${String(entry.kind)}\`` };
    if (origin === "decided") decideBatch();
    const next = expected.shift();
    if (next !== undefined) {
      if (next.text !== text) return diverged(seq, next.text, text, "replay decided another entry here", next.entry);
      return null;
    }
    if (origin === "decided") return diverged(seq, null, text, "the recording has a decision here that replay does not make", entry);

    try {
      batch ??= { decisive: false };
      batch.decisive ||= RunCore.isDecisive(entry.kind);
      if (origin === "body") {
        const vertex = (entry as { vertex: string }).vertex;
        const draft = bodies.get(vertex)?.drafts.shift();
        if (draft === undefined) return diverged(seq, null, text, "the recording has a body entry here that the body does not produce", entry);
        const own = core.input(draft);
        if (own.text !== text) return diverged(seq, own.text, text, "the body produced another entry here", entry);
        return null;
      }
      // From the world: taken as recorded; the body it feeds is run on.
      const problem = feedBody(core, bodies, entry);
      if (problem !== null) return diverged(seq, null, text, problem, entry);
      core.fold(entry);
    } catch (error) {
      const parsed = EntrySchema.safeParse(entry);
      const reason = parsed.success ? `replay failed on this entry: ${(error as Error).message}` : `a malformed entry: ${parsed.error.issues[0]?.message ?? "invalid"}`;
      return { kind: "invalid", seq, reason };
    }
      return null;
  };

  // An array is read without a promise per entry (the file and the store are read a page at a time).
  if (Symbol.iterator in texts) {
    for (const text of texts) {
      const verdict = step(text);
      if (verdict !== null) return verdict;
    }
  } else {
    for await (const text of texts) {
      const verdict = step(text);
      if (verdict !== null) return verdict;
    }
  }
  // Assigned by `step`, which TypeScript does not follow.
  const last = core as RunCore | null;
  if (last === null) return { kind: "invalid", seq: 0, reason: "the ledger is empty" };
  decideBatch();
  // A body's entries are appended with the step that produced them: a ledger cut between the two was not written whole.
  for (const running of bodies.values()) {
    const draft = running.drafts[0];
    if (draft !== undefined) return diverged(head.seq + 1, last.input(draft).text, null, "the recording ends before an entry the body produces");
  }
  const missing = expected[0];
  if (missing !== undefined) return diverged(missing.entry.seq, missing.text, null, "the recording ends before an entry replay decides");
  return { kind: "identical", entries: count, head: head.hash };
}

/**
 * A top-level member of a sealed entry's text, read without parsing it:
 * `kind` and `vertex` are the last members but `prev`, `run`, `seq` and
 * `v`, none of which can hold a quote. Only routes the entry; what is
 * accepted is always checked in full.
 */
function peekMember(text: string, name: "kind" | "vertex"): string | undefined {
  const key = `,"${name}":"`;
  const at = text.lastIndexOf(key);
  if (at === -1) return undefined;
  const end = text.indexOf('"', at + key.length);
  return end === -1 ? undefined : text.slice(at + key.length, end);
}

/** Starts or continues the body of the attempt a world entry concerns; a problem if the recording asks for another step than the body does. */
function feedBody(core: RunCore, bodies: Map<string, { body: BodyRun; request: StepRequest | null; drafts: Draft[] }>, entry: Entry): string | null {
  switch (entry.kind) {
    case "vertex.started": {
      const vertex = core.state.vertices.get(entry.vertex);
      const unit = core.plan.units.get(core.plan.vertices.get(splitInstance(entry.vertex).id)?.unit ?? "");
      if (vertex === undefined || unit === undefined) return `vertex ${entry.vertex} started without being scheduled`;
      const body = new BodyRun(core.plan, core.state.run, entry.vertex, entry.attempt, unit, vertex.args, core.state.journal, [...vertex.checkpoints], vertex.carried?.ids);
      const progress = body.resume(entry.at);
      bodies.set(entry.vertex, { body, request: progress.kind === "step" ? progress.request : null, drafts: progress.drafts });
      return null;
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
      return null;
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
