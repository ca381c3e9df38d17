import { type ChainHead, seal } from "../../interpreter/ledger/chain.ts";
import type { StoredEntry } from "../../interpreter/store/store.ts";

/**
 * `count` real ledger entries of `run` after `head`, sealed by the chain as
 * the interpreter seals them, as the store receives them. Each is a
 * `timer.fired` whose timer name is `name(seq)`: vary it for size or
 * for characters. Deterministic: the same arguments give the same texts.
 */
export function sealedEntries(
  run: string,
  head: ChainHead,
  count: number,
  name: (seq: number) => string = (seq) => `timer ${seq}`,
): StoredEntry[] {
  const entries: StoredEntry[] = [];
  let last = head;
  for (let i = 0; i < count; i++) {
    const seq = last.seq + 1;
    const { entry, text } = seal(run, last, { kind: "timer.fired", at: 1_790_000_000_000 + seq, data: { timer: name(seq) } });
    entries.push({ seq, kind: entry.kind, text, hash: entry.hash });
    last = { seq, hash: entry.hash };
  }
  return entries;
}
