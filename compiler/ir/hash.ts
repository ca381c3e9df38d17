import { hash } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";
import type { Ir, IrFile } from "./schema.ts";

export { canonicalJson };

/** sha256 of the text's UTF-8 bytes, in hex. */
export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
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
