import { instanceId, type RunPlan } from "../interpreter/core/plan.ts";
import type { RunState } from "../interpreter/core/state.ts";
import { keyFingerprint, type SignedDecision, signatureHolds } from "../interpreter/gates/decision.ts";
import type { Answer } from "../interpreter/host/run-driver.ts";
import { UsageError } from "./exit-codes.ts";
import { notParked } from "./parked-instance.ts";
import { configFile, type ProjectConfig } from "./project-config.ts";

/** The decision is signed by a key the project's flow.config.json does not list among its approvers. */
export class UntrustedSigner extends UsageError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = "UntrustedSigner";
  }
}

/**
 * What recording a signed decision at a gate takes: the checks `flow
 * approve` and `flow serve` both make before anything is written (the
 * signature holds, the project trusts the key, the run waits at that
 * gate, and the key's approver is in the gate's `by` group when it names
 * one), then the `gate.decided` entry, made against the head the
 * decision was signed on. `attributedTo` names who decided when it is not
 * the key's own approver: `flow serve` signs with its key for the holder
 * of a token.
 */
export function gateAnswer(
  { state, plan }: { readonly state: RunState; readonly plan: RunPlan },
  decision: SignedDecision,
  approvers: ProjectConfig["approvers"],
  at: number,
  attributedTo?: (trusted: string) => string,
): { readonly answer: Answer; readonly by: string } {
  if (!signatureHolds(decision)) {
    throw new UsageError("the decision's signature does not hold: it was changed after it was signed, or signed with another key", { hint: "sign it again: `flow approve RUN GATE`" });
  }
  const trusted = approvers.find((a) => a.key === decision.approver.key);
  if (trusted === undefined) {
    throw new UntrustedSigner(`the decision is signed by a key this project does not trust: ${decision.approver.name} (${keyFingerprint(decision.approver.key)}…)`, {
      hint: `${configFile} lists the approvers; \`flow keys trust NAME KEY\` adds one`,
    });
  }
  if (!state.parked.has(decision.instance)) throw notParked(state, decision.instance);
  const gate = plan.barriers.get(instanceId(decision.instance));
  if (gate?.kind === "approve" && gate.by !== null && !(trusted.groups ?? []).includes(gate.by)) {
    throw new UntrustedSigner(`the gate "${gate.gate}" is decided by "${gate.by}", and ${trusted.name} is not in that group`, {
      hint: `${configFile} says who is: "groups": ["${gate.by}"] in an approver's entry`,
    });
  }
  const by = attributedTo === undefined ? trusted.name : attributedTo(trusted.name);
  return {
    by,
    answer: {
      head: decision.head,
      drafts: [
        {
          kind: "gate.decided",
          at,
          data: { instance: decision.instance, decision: decision.decision, comment: decision.comment, approver: { name: by, key: decision.approver.key }, head: decision.head, signature: decision.signature },
        },
      ],
    },
  };
}
