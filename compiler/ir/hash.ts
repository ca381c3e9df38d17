import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { Ir, IrFile } from "./schema.ts";

/**
 * JSON in the one canonical form of RFC 8785 (JCS): keys sorted, no
 * whitespace, numbers as ECMAScript prints them. The same value gives the
 * same bytes on every machine, which is what a content hash needs.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  // canonicalize returns undefined only for undefined, a function or a symbol: never for the IR.
  if (text === undefined) throw new Error("canonicalJson: the value is not JSON");
  return text;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The IR's content hash: sha256 of its canonical JSON, in hex. Two programs with the same IR have the same hash. */
export function irHash(ir: Ir): string {
  return sha256Hex(canonicalJson(ir));
}

/**
 * What `flow compile` writes: `{"hash":…,"ir":…}` as canonical JSON and a
 * newline. The hash covers `ir` only, so it can be checked by
 * re-canonicalising the `ir` member of any copy, however it was reformatted.
 */
export function irFileText(ir: Ir): { readonly text: string; readonly hash: string } {
  const hash = irHash(ir);
  const file: IrFile = { hash, ir };
  return { text: `${canonicalJson(file)}\n`, hash };
}
