import { type KeyObject, sign, verify } from "node:crypto";
import { canonicalJson } from "../../compiler/ir/canonical-json.ts";
import { publicKeyOf, publicKeyText } from "../gates/decision.ts";
import { Receipt, type ReceiptBody } from "./receipt.ts";

/**
 * Signing a receipt, and checking one. The Ed25519 signature covers the
 * canonical JSON of the body *and* of the signer (name and public key),
 * under a tag that says what it is, so neither can be changed without
 * breaking it, and a signature made for something else (a gate decision,
 * gates/decision.ts) is never one over a receipt.
 *
 * A receipt file is the canonical JSON of the whole receipt and a newline,
 * and only that text verifies: a parser reads `{"a":1}` and `{ "a": 1 }`
 * alike, and a base64 decoder reads some strings two ways, but a receipt
 * is promised to fail when any byte of it changes, so the text must be the
 * one canonical form of what it says, down to the signature's and the
 * key's encodings.
 */

export type ReceiptSigner = { readonly name: string; readonly privateKey: KeyObject };

export type ReceiptVerdict = { readonly ok: true; readonly receipt: Receipt } | { readonly ok: false; readonly reason: string };

/** The bytes the signature covers. */
export function receiptPayload(body: ReceiptBody, signer: Receipt["signer"]): Buffer {
  return Buffer.from(canonicalJson({ body, signer: { key: signer.key, name: signer.name }, what: "flow receipt" }), "utf8");
}

export function signReceipt(body: ReceiptBody, signer: ReceiptSigner): Receipt {
  const named = { name: signer.name, key: publicKeyText(signer.privateKey) };
  return { body, signer: named, signature: sign(null, receiptPayload(body, named), signer.privateKey).toString("base64") };
}

/** The text of a receipt file. */
export function receiptText(receipt: Receipt): string {
  return `${canonicalJson(receipt)}\n`;
}

/**
 * Whether a receipt file (its bytes, or its text) is one whose signature
 * holds, byte for byte as signed; if not, why not, in a phrase. Bytes must
 * be UTF-8, strictly: a decoder that replaced a bad byte with U+FFFD, or
 * dropped a byte-order mark, would let a changed file read as the signed text.
 */
export function verifyReceipt(file: string | Uint8Array): ReceiptVerdict {
  let text: string;
  if (typeof file === "string") text = file;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(file);
    } catch {
      return { ok: false, reason: "it is not UTF-8 text" };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `it is not JSON (${(error as Error).message})` };
  }
  const parsed = Receipt.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `it is not a receipt: ${issue === undefined ? "invalid" : `${issue.path.join(".") || "(top)"}: ${issue.message}`}` };
  }
  const receipt = parsed.data;
  let canonical: string;
  try {
    canonical = receiptText(receipt);
  } catch (error) {
    return { ok: false, reason: `it is not a receipt: ${(error as Error).message}` };
  }
  // The schema has no defaults or transforms, so the parsed receipt is the value read: its canonical text is the file's, or the file was changed.
  if (canonical !== text) return { ok: false, reason: "its text is not the canonical JSON of what it says: it was changed after it was written" };
  const key = publicKeyOf(receipt.signer.key);
  // A key text decodes to the same key with other values in its last character's unused bits: only the one canonical text is taken.
  if (key === null || publicKeyText(key) !== receipt.signer.key) return { ok: false, reason: `its signer's key \`${receipt.signer.key}\` is not an Ed25519 public key` };
  const signature = Buffer.from(receipt.signature, "base64");
  if (signature.length !== 64 || signature.toString("base64") !== receipt.signature) return { ok: false, reason: "its signature is not an Ed25519 signature in base64" };
  let holds: boolean;
  try {
    holds = verify(null, receiptPayload(receipt.body, receipt.signer), key, signature);
  } catch {
    holds = false;
  }
  if (!holds) return { ok: false, reason: `its signature does not hold: it was not signed by ${receipt.signer.name}'s key as it stands` };
  return { ok: true, receipt };
}
