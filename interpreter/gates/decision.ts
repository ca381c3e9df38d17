import { createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { z } from "zod";
import { type EntryOf, GateDecision } from "../ledger/entry.ts";
import { decisionPayloadText } from "./decision-payload.ts";

/**
 * A decision at a gate, signed: what `flow approve` records. The approver's
 * Ed25519 key signs the canonical JSON of the run, the gate (its
 * instance), the decision, the comment and the ledger's head hash when
 * they decided, so a signature answers one gate of one run as it stood,
 * and cannot be replayed onto another, or onto the same gate later.
 */
export const SignedDecision = z.strictObject({
  run: z.string(),
  instance: z.string(),
  decision: GateDecision,
  comment: z.string().nullable(),
  head: z.string(),
  approver: z.strictObject({ name: z.string(), key: z.string() }),
  signature: z.string(),
});
export type SignedDecision = z.infer<typeof SignedDecision>;

/** The bytes the signature covers. */
export function decisionPayload(d: Omit<SignedDecision, "approver" | "signature">): Buffer {
  return Buffer.from(decisionPayloadText(d), "utf8");
}

export function signDecision(
  unsigned: Omit<SignedDecision, "approver" | "signature">,
  approver: { readonly name: string; readonly privateKey: KeyObject },
): SignedDecision {
  const signature = sign(null, decisionPayload(unsigned), approver.privateKey).toString("base64");
  return { ...unsigned, approver: { name: approver.name, key: publicKeyText(approver.privateKey) }, signature };
}

/** Whether the signature is the named key's over the decision. */
export function signatureHolds(d: SignedDecision): boolean {
  const key = publicKeyOf(d.approver.key);
  if (key === null) return false;
  try {
    return verify(null, decisionPayload(d), key, Buffer.from(d.signature, "base64"));
  } catch {
    return false;
  }
}

/**
 * A public key as text: its 32 raw bytes in base64 (44 characters). Not
 * base64url, whose `-` could open the text and make a command line take
 * it for an option.
 */
export function publicKeyText(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new Error("not an Ed25519 key");
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

export const publicKeyPattern = /^[A-Za-z0-9+/]{43}=$/;

export function publicKeyOf(text: string): KeyObject | null {
  if (!publicKeyPattern.test(text)) return null;
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(text, "base64").toString("base64url") }, format: "jwk" });
  } catch {
    return null;
  }
}

/** A short name for a key: its first 12 characters, as `flow keys list` shows it. */
export function keyFingerprint(text: string): string {
  return text.slice(0, 12);
}

/** The decision a `gate.decided` entry records, for its signature to be checked again (replay does). */
export function recordedDecision(run: string, entry: EntryOf<"gate.decided">): SignedDecision {
  const { instance, decision, comment, head, approver, signature } = entry.data;
  return { run, instance, decision, comment, head, approver, signature };
}
