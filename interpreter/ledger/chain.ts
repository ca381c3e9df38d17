import { canonicalJson, jsonString } from "../../compiler/ir/canonical-json.ts";
import { sha256Hex } from "../../compiler/ir/hash.ts";
import { type Draft, type Entry, entryOrigin, ledgerVersion } from "./entry.ts";

/**
 * The hash chain: `hash = sha256(prev ‖ canonical JSON of the entry without
 * its hash)`, `prev` being the hash before it (64 zeros for the first). An
 * entry changed, dropped, inserted or moved breaks the chain at its seq.
 */

export const genesisHash = "0".repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The head of an empty ledger: the next entry is seq 0 and links to the genesis hash. */
export const emptyHead: ChainHead = { seq: -1, hash: genesisHash };

/**
 * The canonical text of an entry but for its two hashes, which sit between
 * the pieces: `${before},"hash":"${hash}",${kind},"prev":"${prev}",${after}`
 * (keys in JCS order: at, attempt, data, hash, kind, prev, run, seq, v,
 * vertex). Its members are known, so it is written member by member, with
 * only `data` serialised generically (test/ledger.test.ts holds it to the
 * generic form).
 */
export interface EntryPieces {
  /** `{"at":…,"attempt":…,"data":…` */
  readonly before: string;
  /** `"kind":…` */
  readonly kind: string;
  /** `"run":…,"seq":…,"v":…,"vertex":…}` */
  readonly after: string;
}

export function entryPieces(run: string, seq: number, draft: Draft): EntryPieces {
  const onVertex = "vertex" in draft;
  return {
    before: `{"at":${draft.at},${onVertex ? `"attempt":${draft.attempt},` : ""}"data":${canonicalJson(draft.data)}`,
    kind: kindMembers.get(draft.kind) ?? `"kind":${jsonString(draft.kind)}`,
    after: `"run":${runMember(run)},"seq":${seq},"v":${ledgerVersion}${onVertex ? `,"vertex":${jsonString(draft.vertex)}` : ""}}`,
  };
}

/** The `"kind":…` member of each kind, written once: every entry has one, and there are only these. */
const kindMembers: ReadonlyMap<string, string> = new Map(Object.keys(entryOrigin).map((kind) => [kind, `"kind":${jsonString(kind)}`]));

/** The run's id as JSON, for the run whose entries are being written (one run at a time, mostly): written once a run. */
let lastRun: { readonly run: string; readonly json: string } = { run: "", json: '""' };
function runMember(run: string): string {
  if (lastRun.run !== run) lastRun = { run, json: jsonString(run) };
  return lastRun.json;
}

/**
 * Seals a draft as the entry after `head`: the entry and its canonical text
 * (what the store keeps, byte for byte). The draft is taken over: it
 * becomes the entry.
 */
export function seal(run: string, head: ChainHead, draft: Draft): { readonly entry: Entry; readonly text: string } {
  const seq = head.seq + 1;
  const { text, hash } = sealPieces(entryPieces(run, seq, draft), head.hash);
  return { entry: complete(draft, run, seq, head.hash, hash), text };
}

/** The text of an entry from its pieces and the hash before it: hashed, and the hashes put in. */
export function sealPieces(pieces: EntryPieces, prev: string): { readonly text: string; readonly hash: string } {
  const linked = `${pieces.kind},"prev":"${prev}",${pieces.after}`;
  const hash = sha256Hex(`${prev}${pieces.before},${linked}`);
  return { text: `${pieces.before},"hash":"${hash}",${linked}`, hash };
}

/**
 * A draft completed in place as the entry it becomes (an object spread here
 * cost more than the hash). Replay, which compares texts and leaves their
 * hashes to the chain check, completes its own entries with empty hashes.
 */
export function complete(draft: Draft, run: string, seq: number, prev: string, hash: string): Entry {
  const entry = draft as Record<string, unknown>;
  entry.v = ledgerVersion;
  entry.run = run;
  entry.seq = seq;
  entry.prev = prev;
  entry.hash = hash;
  return entry as unknown as Entry;
}

/** The two members between the pieces: `,"hash":"…",` and `,"prev":"…",`, 75 characters each, the hashes 9 in. */
const hashMemberLength = 75;

/**
 * Whether a recorded text is exactly these pieces with a hash and a prev
 * between them, as `seal` writes them; the hashes are the recorded ones.
 * That they are right is the chain check's to say (`checkLinkWith`): it
 * finds the text's `hash` and `prev` members only if they are these two
 * (the pieces hold no other top-level member of either name, and a quote
 * inside either 64 characters would leave a value too short to be a
 * sha256), so a text that is the pieces, hashed right and linked to the
 * entry before, is byte for byte what sealing the pieces after that
 * entry writes.
 */
export function isSealedFrom(pieces: EntryPieces, text: string): boolean {
  const { before, kind, after } = pieces;
  const prevAt = before.length + hashMemberLength + kind.length;
  if (text.length !== prevAt + hashMemberLength + after.length) return false;
  // Each piece against its place in the text, sliced out (a slice shares the text's characters): V8 compares flat
  // strings far faster than it runs startsWith on their parts, and a whole copy of the text, put together to compare
  // once, was a third of what replay allocates for each entry it produces (and collects again).
  return (
    text.slice(0, before.length) === before &&
    text.slice(before.length, before.length + 9) === ',"hash":"' &&
    text.slice(before.length + 73, before.length + 75) === '",' &&
    text.slice(before.length + 75, prevAt) === kind &&
    text.slice(prevAt, prevAt + 9) === ',"prev":"' &&
    text.slice(prevAt + 73, prevAt + 75) === '",' &&
    text.slice(prevAt + hashMemberLength) === after
  );
}

export type ChainBreak =
  | { readonly kind: "not-json"; readonly seq: number; readonly message: string }
  | { readonly kind: "seq"; readonly seq: number; readonly found: number }
  | { readonly kind: "run"; readonly seq: number; readonly found: string }
  | { readonly kind: "prev"; readonly seq: number }
  | { readonly kind: "hash"; readonly seq: number };

/**
 * Checks one entry's text against the head before it: a JSON object, in
 * sequence, of this run (when given), linked to the head, and hashed
 * right. The hash is checked on the text itself: a sealed text is the
 * canonical JSON of the entry with its hash, keys sorted, so without its
 * `,"hash":"…"` member (the last one, after `data`) it is exactly the text
 * that was hashed. One byte changed anywhere breaks it. Returns the entry
 * or where the chain breaks (the schema of `data` is the caller's to check).
 */
export function checkLink(run: string | null, head: ChainHead, text: string): { readonly entry: Entry } | { readonly broken: ChainBreak } {
  return checkLinkWith(sha256Hex, run, head, text) as { readonly entry: Entry } | { readonly broken: ChainBreak };
}

/**
 * `checkLink`, self-contained: it reads nothing but its parameters and
 * JavaScript's globals, because its source also runs as is on the worker
 * thread that checks long ledgers (chain-check.ts).
 */
export function checkLinkWith(
  hex: (text: string) => string,
  run: string | null,
  head: ChainHead,
  text: string,
): { readonly entry: Record<string, unknown> & { readonly run: string; readonly hash: string } } | { readonly broken: ChainBreak } {
  const seq = head.seq + 1;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { broken: { kind: "not-json", seq, message: (error as Error).message } };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { broken: { kind: "not-json", seq, message: "not an object" } };
  const record = value as Record<string, unknown>;
  if (record.seq !== seq) return { broken: { kind: "seq", seq, found: typeof record.seq === "number" ? record.seq : -1 } };
  if (typeof record.run !== "string" || (run !== null && record.run !== run)) return { broken: { kind: "run", seq, found: String(record.run) } };
  if (record.prev !== head.hash) return { broken: { kind: "prev", seq } };
  const hash = record.hash;
  const member = `,"hash":"${String(hash)}"`;
  // The last one, found going forward: V8's indexOf is a fast builtin, lastIndexOf a call into its runtime.
  let at = text.indexOf(member);
  for (let next = at === -1 ? -1 : text.indexOf(member, at + 1); next !== -1; next = text.indexOf(member, next + 1)) at = next;
  if (typeof hash !== "string" || at === -1) return { broken: { kind: "hash", seq } };
  if (hash !== hex(head.hash + text.slice(0, at) + text.slice(at + member.length))) return { broken: { kind: "hash", seq } };
  return { entry: record as Record<string, unknown> & { run: string; hash: string } };
}

/**
 * `checkLinkWith` without the parse, for a text whose caller has found it
 * to be the pieces of an entry it made itself at this seq, of this run,
 * with the hash member at `hashAt` (replay: isSealedFrom): such a text is
 * canonical JSON but for its two 64-character holes. It is linked and
 * hashed right when the hole after `"prev":"` holds the head's hash and
 * the one after `"hash":"` the sha256 of the text without that member, as
 * checkLinkWith would find them (neither then holds a quote, and no member
 * after `data` can be mistaken for either). Returns the text's hash, or
 * null when it is not linked or hashed right: checkLinkWith then says how
 * the chain breaks. Self-contained too (it runs on the worker).
 */
export function sealedLinkWith(hex: (text: string) => string, head: ChainHead, text: string, hashAt: number): string | null {
  const prevAt = text.indexOf(',"prev":"', hashAt + 74);
  if (prevAt === -1 || text.slice(prevAt + 9, prevAt + 73) !== head.hash) return null;
  const hash = text.slice(hashAt + 9, hashAt + 73);
  return hash === hex(head.hash + text.slice(0, hashAt) + text.slice(hashAt + 74)) ? hash : null;
}

/** A one-line account of a break, for `flow replay` and the stores. */
export function describeBreak(broken: ChainBreak): string {
  switch (broken.kind) {
    case "not-json":
      return `entry ${broken.seq} is not a JSON object (${broken.message})`;
    case "seq":
      return `entry ${broken.seq} is out of sequence (it says seq ${broken.found})`;
    case "run":
      return `entry ${broken.seq} belongs to another run (${broken.found})`;
    case "prev":
      return `entry ${broken.seq} does not link to the entry before it (an entry was dropped, inserted or moved)`;
    case "hash":
      return `entry ${broken.seq} does not match its hash (it was changed)`;
  }
}
