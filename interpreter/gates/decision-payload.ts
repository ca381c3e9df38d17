import { canonicalJson } from "../../compiler/ir/canonical-json.ts";
import type { GateDecision } from "../ledger/entry.ts";

/**
 * The text a decision's signature covers (decision.ts signs its UTF-8):
 * apart from the signing, which needs `node:crypto`, so that the
 * playground's simulator signs the same text with the browser's crypto.
 */
export function decisionPayloadText(d: {
  readonly run: string;
  readonly instance: string;
  readonly decision: GateDecision;
  readonly comment: string | null;
  readonly head: string;
}): string {
  return canonicalJson({ comment: d.comment, decision: d.decision, gate: d.instance, head: d.head, run: d.run, v: 1 });
}
