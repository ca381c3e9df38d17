import { sha256Hex } from "../../../compiler/ir/hash.ts";
import { decisionPayloadText } from "../../../interpreter/gates/decision-payload.ts";
import type { GateDecision } from "../../../interpreter/ledger/entry.ts";

/**
 * The simulator's Ed25519 key, which signs the decisions made at gates in
 * the page. Its private half is derived from a published phrase, so it
 * vouches for nothing: it is there so that a simulated ledger has the
 * shape of a real one and `flow replay` accepts it (replay checks every
 * decision's signature). Ed25519 signs deterministically, so a decision
 * gets the same signature in every simulation.
 */
const phrase = "flow playground simulation: a published key, which vouches for nothing";

/** PKCS #8 for an Ed25519 private key: this DER prefix, then its 32-byte seed (RFC 8410). */
const pkcs8Prefix = "302e020100300506032b657004220420";

/** `CryptoKey`, named so in the DOM's types and in Node's alike (the tests import this file in Node). */
type SigningKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

let key: Promise<{ readonly privateKey: SigningKey; readonly publicKey: string }> | undefined;

/** The decision's signature (base64) by the simulator's key, and that key as `flow` writes one (its 32 raw bytes in base64). */
export async function signAsSimulator(decision: {
  readonly run: string;
  readonly instance: string;
  readonly decision: GateDecision;
  readonly comment: string | null;
  readonly head: string;
}): Promise<{ readonly key: string; readonly signature: string }> {
  const { privateKey, publicKey } = await (key ??= simulatorKey());
  const signature = await crypto.subtle.sign("Ed25519", privateKey, new TextEncoder().encode(decisionPayloadText(decision)));
  return { key: publicKey, signature: base64(new Uint8Array(signature)) };
}

async function simulatorKey(): Promise<{ readonly privateKey: SigningKey; readonly publicKey: string }> {
  const der = bytesOfHex(pkcs8Prefix + sha256Hex(phrase));
  const privateKey = await crypto.subtle.importKey("pkcs8", der, "Ed25519", true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const x = (jwk.x ?? "").replace(/-/g, "+").replace(/_/g, "/");
  return { privateKey, publicKey: x.padEnd(Math.ceil(x.length / 4) * 4, "=") };
}

function bytesOfHex(hex: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

function base64(bytes: Uint8Array): string {
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
}
