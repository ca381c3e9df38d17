import { canonicalJson, sha256Hex } from "../../compiler/ir/hash.ts";
import type { Json } from "../ledger/entry.ts";

/**
 * A step's identity: sha256 of (run, vertex instance, attempt, step index,
 * op, canonical arguments). A step with this id already in the journal has
 * run: its recorded result is returned instead of running it again. The
 * arguments are part of it, so a body that would now ask for something
 * else (another program, another input) never reads a stale result.
 */
export function journalId(run: string, instance: string, attempt: number, index: number, op: string, args: Readonly<Record<string, Json>>): string {
  return sha256Hex(canonicalJson([run, instance, attempt, index, op, args]));
}
