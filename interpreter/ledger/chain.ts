import { canonicalJson, jsonString } from "../../compiler/ir/canonical-json.ts";
import { sha256Hex } from "../../compiler/ir/hash.ts";
import { type Draft, type Entry, ledgerVersion } from "./entry.ts";

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
 * Seals a draft as the entry after `head`: the entry and its canonical text
 * (what the store keeps, byte for byte). The text is the canonical JSON of
 * the entry; its members are known, so it is written member by member in
 * key order, with only `data` serialised generically (test/ledger.test.ts
 * holds it to the generic form). The draft is taken over: it becomes the
 * entry.
 */
export function seal(run: string, head: ChainHead, draft: Draft): { readonly entry: Entry; readonly text: string } {
  const seq = head.seq + 1;
  const onVertex = "vertex" in draft;
  // Keys in JCS order: at, attempt, data, [hash], kind, prev, run, seq, v, vertex.
  const before = `{"at":${draft.at},${onVertex ? `"attempt":${draft.attempt},` : ""}"data":${canonicalJson(draft.data)}`;
  const after = `"kind":${jsonString(draft.kind)},"prev":"${head.hash}","run":${jsonString(run)},"seq":${seq},"v":${ledgerVersion}${onVertex ? `,"vertex":${jsonString(draft.vertex)}` : ""}}`;
  const hash = sha256Hex(`${head.hash}${before},${after}`);
  // The draft becomes the entry: its own object, completed in place (an object spread here cost more than the hash).
  const entry = draft as Record<string, unknown>;
  entry.v = ledgerVersion;
  entry.run = run;
  entry.seq = seq;
  entry.prev = head.hash;
  entry.hash = hash;
  return { entry: entry as unknown as Entry, text: `${before},"hash":"${hash}",${after}` };
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
  if (run !== null && record.run !== run) return { broken: { kind: "run", seq, found: String(record.run) } };
  if (record.prev !== head.hash) return { broken: { kind: "prev", seq } };
  const hash = record.hash;
  const member = `,"hash":"${String(hash)}"`;
  const at = text.lastIndexOf(member);
  if (typeof hash !== "string" || at === -1) return { broken: { kind: "hash", seq } };
  if (hash !== sha256Hex(head.hash + text.slice(0, at) + text.slice(at + member.length))) return { broken: { kind: "hash", seq } };
  return { entry: record as Entry };
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
