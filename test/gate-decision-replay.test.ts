import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { irHash } from "../compiler/ir/hash.ts";
import { RunCore } from "../interpreter/core/advance.ts";
import { signDecision } from "../interpreter/gates/decision.ts";
import { seal } from "../interpreter/ledger/chain.ts";
import type { Draft, EntryOf } from "../interpreter/ledger/entry.ts";
import { replayLedger } from "../interpreter/replay.ts";
import { compileText } from "./support/run-program.ts";

/** A decision at a gate replays only as it was signed: by the key it names, on the head it was recorded at. */
describe("replay of a decision at a gate", () => {
  const ir = compileText(`workflow main() -> int\n  budget { compute: 1m }\n{\n  approve "go" timeout 1h default reject\n  return 1\n}\n`);
  const { privateKey } = generateKeyPairSync("ed25519");

  /** The run parks at the gate; `movedOn` takes it over once before the decision is recorded with a later takeover. */
  function ledger(movedOn: boolean, tamper = false): string[] {
    const first = seal("r1", { seq: -1, hash: "0".repeat(64) }, {
      kind: "run.started",
      at: 1000,
      data: { irHash: irHash(ir), ir, workflow: "main", args: {}, seed: "0".repeat(64), options: { concurrency: 4 } },
    } as Draft);
    const core = new RunCore(first.entry as EntryOf<"run.started">);
    const texts = [first.text, ...core.decideAll().map((s) => s.text)];
    const seen = core.state.head.hash;
    const d = signDecision({ run: "r1", instance: "approve:go", decision: "approve", comment: null, head: seen }, { name: "alice", privateKey });
    if (movedOn) texts.push(...core.advance([{ kind: "run.resumed", at: 2000, data: { by: "x" } }]).map((s) => s.text));
    const data = { instance: d.instance, decision: tamper ? ("reject" as const) : d.decision, comment: d.comment, approver: d.approver, head: d.head, signature: d.signature };
    texts.push(...core.advance([{ kind: "run.resumed", at: 3000, data: { by: "y" } }, { kind: "gate.decided", at: 3000, data }]).map((s) => s.text));
    return texts;
  }

  it("is identical when signed on the head its takeover links to", async () => {
    expect((await replayLedger(ledger(false))).kind).toBe("identical");
  });

  it("is refused when it was signed against an earlier head", async () => {
    expect(await replayLedger(ledger(true))).toMatchObject({ kind: "invalid", reason: expect.stringContaining("was signed against another head") });
  });

  it("is refused when what it records is not what was signed", async () => {
    expect(await replayLedger(ledger(false, true))).toMatchObject({ kind: "invalid", reason: expect.stringContaining("is not signed by the key it names") });
  });
});
