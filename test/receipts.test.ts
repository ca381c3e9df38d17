import fc from "fast-check";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../compiler/ir/canonical-json.ts";
import { runnerKey, runnerKeyFile } from "../cli/runner-key.ts";
import { RunCore } from "../interpreter/core/advance.ts";
import { publicKeyText, signDecision } from "../interpreter/gates/decision.ts";
import { type ChainHead, seal } from "../interpreter/ledger/chain.ts";
import type { Draft, Entry, EntryOf } from "../interpreter/ledger/entry.ts";
import { type Receipt, ReceiptBody, receiptOf } from "../interpreter/receipts/receipt.ts";
import { receiptText, signReceipt, verifyReceipt } from "../interpreter/receipts/signature.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { drivePiecewise, parseLedger } from "./support/interrupted-run.ts";
import { compileText } from "./support/run-program.ts";

/**
 * Receipts: the body computed from a real run's ledger (and from a ledger
 * with the budget and gate entries a run records around an envelope and a
 * person's decision), and the signature: it holds as signed, and fails
 * when any byte of the file changes or when the signer is swapped.
 */

/** Items fan out two at a time; each runs a step, passes a checkpoint, runs another that fails the first time for item 1 (a marker file), and is retried; then a gate whose timeout's default approves. */
const program = `
import { sh } from "std/sandbox"
import { trim } from "std/text"
node step(n: int, marker: string) -> string
  effects { proc }
  budget  { compute: 10s }
  retry   2 backoff fixed(5ms) on [Transient]
{
  let a = sh("echo start-\${n as string}")
  checkpoint "halfway"
  let r = sh("m=\${marker}/\${n as string}; if [ -e $m ]; then echo ok; else touch $m; exit 3; fi")
  if r.exit != 0 {
    fail Transient("not yet for \${n as string}")
  }
  return "\${trim(a.stdout)} \${trim(r.stdout)}"
}
workflow main(ns: List<int, max 4>, marker: string) -> List<string>
  budget { compute: 10m }
  grants { proc }
{
  let out = for n in ns concurrency 2 { step(n, marker) }
  approve "ship" show out timeout 20ms default approve
  return out
}`;

let dir = "";
let entries: Entry[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flow-receipts-"));
  const marker = join(dir, "markers");
  mkdirSync(marker);
  // Item 2 has its marker already: only item 1 fails once and is retried.
  writeFileSync(join(marker, "2"), "");
  const store = openMemoryStore();
  const recorded = await drivePiecewise(async () => store, { ir: compileText(program), workflow: "main", args: { ns: [1, 2], marker }, concurrency: 4 });
  expect(recorded.outcome).toBe("completed");
  entries = parseLedger(recorded.texts);
}, 60_000);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

/** At every entry, the receipt's status, ceilings and what it counts against them are the fold's (core/apply.ts, core/budget.ts). */
function expectAgreesWithTheFold(ledger: readonly Entry[]): void {
  const core = new RunCore(ledger[0] as EntryOf<"run.started">);
  for (let k = 1; k <= ledger.length; k++) {
    if (k > 1) core.fold(ledger[k - 1]!);
    const body = receiptOf(ledger.slice(0, k));
    const { status, budget } = core.state;
    expect({ seq: k - 1, status: body.status, ceilings: body.ceilings, spent: body.spentAgainstCeilings }).toEqual({ seq: k - 1, status, ceilings: budget.ceilings, spent: budget.spent });
  }
}

const ofKind = <K extends Entry["kind"]>(list: readonly Entry[], kind: K) => list.filter((e): e is EntryOf<K> => e.kind === kind);
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe("receiptOf a recorded run", () => {
  it("is a valid body, covering the ledger up to its head, completed", () => {
    const body = receiptOf(entries);
    expect(ReceiptBody.safeParse(body).success).toBe(true);
    const first = entries[0] as EntryOf<"run.started">;
    const last = entries.at(-1)!;
    expect(body).toMatchObject({ v: 2, run: first.run, workflow: "main", irHash: first.data.irHash, head: { seq: last.seq, hash: last.hash }, status: "completed" });
    expect(body.ceilings).toEqual({ tokens: null, usd: null, compute: 600_000, wall: null });
    expect(body.ceilingsSet).toBeNull();
    expect(body.spentAgainstCeilings).toEqual(body.spent);
    expect(body.refusals).toEqual([]);
    expect(body.aborts).toEqual([]);
  });

  it("has a line item per instance: attempts, retries with their reasons, outcome, checkpoints", () => {
    const body = receiptOf(entries);
    expect(body.lineItems.map((i) => i.instance).sort()).toEqual(["step[0]", "step[1]"]);
    const one = body.lineItems.find((i) => i.instance === "step[0]")!;
    const two = body.lineItems.find((i) => i.instance === "step[1]")!;
    expect(one).toMatchObject({ vertex: "step", unit: "step", attempts: 2, outcome: "completed", tokens: 0, usd: 0, byModel: {} });
    expect(one.retries).toEqual([{ attempt: 2, reason: { kind: "Transient", message: "not yet for 1" }, delay: 5 }]);
    expect(two).toMatchObject({ vertex: "step", unit: "step", attempts: 1, outcome: "completed", retries: [] });
    // The run's sandboxes: the process driver, which isolates nothing, and the receipt says so.
    expect(one.sandbox).toEqual({ driver: "process", isolation: "none", profile: "default", effects: expect.arrayContaining(["proc"]) });
    expect(body.isolation).toBe("none");
    for (const item of [one, two]) {
      const recorded = ofKind(entries, "vertex.checkpoint").filter((e) => e.vertex === item.instance);
      expect(item.checkpoints).toEqual(recorded.map((e) => ({ attempt: e.attempt, label: e.data.label })));
      expect(item.checkpoints).toContainEqual({ attempt: 1, label: "halfway" });
    }
  });

  it("sums compute over each instance's steps, and over the run's", () => {
    const body = receiptOf(entries);
    const steps = [...ofKind(entries, "step.completed"), ...ofKind(entries, "step.failed")];
    expect(steps.length).toBeGreaterThan(0);
    for (const item of body.lineItems) expect(item.compute).toBe(sum(steps.filter((s) => s.vertex === item.instance).map((s) => s.data.compute)));
    expect(body.spent.compute).toBe(sum(steps.map((s) => s.data.compute)));
    expect(body.spent.compute).toBe(sum(body.lineItems.map((i) => i.compute)));
  });

  it("times each instance from its first start to its last end, and the run without the time it was parked at the gate", () => {
    const body = receiptOf(entries);
    for (const item of body.lineItems) {
      const started = entries.find((e) => e.kind === "vertex.started" && e.vertex === item.instance)!;
      const ends = entries.filter((e) => (e.kind === "vertex.completed" || e.kind === "vertex.failed" || e.kind === "vertex.aborted") && e.vertex === item.instance);
      expect(item.wall).toBe(ends.at(-1)!.at - started.at);
    }
    const parked = ofKind(entries, "run.parked");
    const defaulted = ofKind(entries, "gate.defaulted");
    expect(parked).toHaveLength(1);
    expect(defaulted).toHaveLength(1);
    // Attempts side by side record their entries with their own times, and their batches interleave: `at` can go back.
    // Each entry counts the time since the latest `at` before it, so no time is counted twice, as the fold has it.
    let latest = entries[0]!.at;
    const active = entries.slice(1).map((e) => {
      const gap = Math.max(0, e.at - latest);
      latest = Math.max(latest, e.at);
      return e.seq > parked[0]!.seq && e.seq <= defaulted[0]!.seq ? 0 : gap;
    });
    expect(body.spent.wall).toBe(sum(active));
    // Never more than the time the ledger spans.
    expect(body.spent.wall).toBeLessThanOrEqual(latest - entries[0]!.at);
    expect(body.gates).toEqual([{ seq: defaulted[0]!.seq, instance: defaulted[0]!.data.instance, decision: "approve", comment: null, by: null }]);
  });

  it("agrees with the fold at every entry", () => {
    expectAgreesWithTheFold(entries);
  });

  it("speaks for a prefix of the ledger as the run stood there", () => {
    const parkedAt = entries.findIndex((e) => e.kind === "run.parked");
    const parked = receiptOf(entries.slice(0, parkedAt + 1));
    expect(parked.status).toBe("parked");
    expect(parked.head.seq).toBe(entries[parkedAt]!.seq);
    expect(parked.gates).toEqual([]);
    const retrying = entries.findIndex((e) => e.kind === "vertex.retrying");
    const early = receiptOf(entries.slice(0, retrying + 1));
    expect(early.status).toBe("running");
    expect(early.lineItems.find((i) => i.instance === "step[0]")).toMatchObject({ outcome: "running", retries: [{ attempt: 2 }] });
  });
});

describe("receiptOf an envelope refused, aborted, set again, and a person's decision", () => {
  const approver = generateKeyPairSync("ed25519").privateKey;

  /** The recorded run's start, then these drafts sealed after it. */
  function ledger(drafts: readonly ((run: string, head: ChainHead) => Draft)[]): Entry[] {
    const first = entries[0] as EntryOf<"run.started">;
    const out: Entry[] = [first];
    let head: ChainHead = { seq: first.seq, hash: first.hash };
    for (const make of drafts) {
      const { entry } = seal(first.run, head, make(first.run, head));
      out.push(entry);
      head = { seq: entry.seq, hash: entry.hash };
    }
    return out;
  }

  const t = () => (entries[0] as Entry).at;
  const noCeilings = { tokens: null, usd: null, compute: 600_000, wall: null };
  const vertex = (instance: string, attempt = 1) => ({ vertex: instance, attempt });
  const step = (index: number, compute: number) => ({ index, op: "std/sandbox:sh@1", id: "a".repeat(64), args: {}, compute, result: null });
  const drafts: ((run: string, head: ChainHead) => Draft)[] = [
    () => ({ kind: "vertex.scheduled", at: t() + 1, ...vertex("step[0]"), data: { args: {}, resumed: false } }),
    () => ({ kind: "vertex.started", at: t() + 2, ...vertex("step[0]"), data: { workTree: "step[0]" } }),
    () => ({ kind: "step.completed", at: t() + 10, ...vertex("step[0]"), data: step(0, 40) }),
    () => ({ kind: "budget.refused", at: t() + 10, ...vertex("step[1]"), data: { unit: "compute", need: 10_000, remaining: 500 } }),
    () => ({ kind: "vertex.completed", at: t() + 12, ...vertex("step[0]"), data: { result: "x" } }),
    () => ({ kind: "run.aborted", at: t() + 12, data: { reason: "step[1] needs 10s of compute; 500ms remain", spent: { tokens: 0, usd: 0, compute: 40, wall: 12 }, ceilings: noCeilings } }),
    () => ({ kind: "budget.set", at: t() + 1012, data: { ceilings: { ...noCeilings, compute: 20_000 }, by: "alice" } }),
    () => ({ kind: "vertex.scheduled", at: t() + 1012, ...vertex("step[1]"), data: { args: {}, resumed: false } }),
    () => ({ kind: "vertex.started", at: t() + 1013, ...vertex("step[1]"), data: { workTree: "step[1]" } }),
    () => ({ kind: "step.completed", at: t() + 1020, ...vertex("step[1]"), data: step(0, 7) }),
    () => ({ kind: "vertex.completed", at: t() + 1021, ...vertex("step[1]"), data: { result: "y" } }),
    () => ({ kind: "run.parked", at: t() + 1021, data: { instance: "approve:ship", waitingFor: 'approval "ship"' } }),
    (run, head) => {
      const signed = signDecision({ run, instance: "approve:ship", decision: "approve", comment: "ship it", head: head.hash }, { name: "bob", privateKey: approver });
      return { kind: "gate.decided", at: t() + 6021, data: { instance: signed.instance, decision: signed.decision, comment: signed.comment, approver: signed.approver, head: signed.head, signature: signed.signature } };
    },
    () => ({ kind: "run.completed", at: t() + 6021, data: { result: ["x", "y"] } }),
  ];

  it("reports the refusal, the abort, the new ceilings and what was spent against them, and the decision", () => {
    const all = ledger(drafts);
    const body = receiptOf(all);
    expect(ReceiptBody.safeParse(body).success).toBe(true);
    expect(body.status).toBe("completed");
    expect(body.ceilings).toEqual({ ...noCeilings, compute: 20_000 });
    expect(body.ceilingsSet).toEqual({ seq: 7, by: "alice" });
    // Active time: 12 ms before the abort, none while aborted, 9 ms after the new envelope, none while parked at the gate.
    expect(body.spent).toEqual({ tokens: 0, usd: 0, compute: 47, wall: 21 });
    expect(body.spentAgainstCeilings).toEqual({ tokens: 0, usd: 0, compute: 7, wall: 9 });
    expect(body.refusals).toEqual([{ seq: 4, instance: "step[1]", attempt: 1, unit: "compute", need: 10_000, remaining: 500 }]);
    expect(body.aborts).toEqual([{ seq: 6, reason: "step[1] needs 10s of compute; 500ms remain" }]);
    expect(body.gates).toEqual([{ seq: 13, instance: "approve:ship", decision: "approve", comment: "ship it", by: { name: "bob", key: publicKeyText(approver) } }]);
    expect(body.lineItems.map((i) => [i.instance, i.outcome, i.attempts, i.compute, i.wall])).toEqual([
      ["step[0]", "completed", 1, 40, 10],
      ["step[1]", "completed", 1, 7, 8],
    ]);
  });

  it("agrees with the fold at every entry", () => {
    expectAgreesWithTheFold(ledger(drafts));
  });

  it("has the status of the run at each head", () => {
    const all = ledger(drafts);
    const statusAt = (seq: number) => receiptOf(all.slice(0, seq + 1)).status;
    expect(statusAt(4)).toBe("running");
    expect(receiptOf(all.slice(0, 5)).lineItems.find((i) => i.instance === "step[1]")?.outcome).toBe("refused");
    expect(statusAt(6)).toBe("aborted");
    expect(statusAt(7)).toBe("running");
    expect(statusAt(12)).toBe("parked");
    expect(statusAt(13)).toBe("running");
    expect(statusAt(14)).toBe("completed");
  });
});

describe("signed receipts", () => {
  const runner = { name: "runner", privateKey: generateKeyPairSync("ed25519").privateKey };
  const other = { name: "mallory", privateKey: generateKeyPairSync("ed25519").privateKey };
  const signed = (): Receipt => signReceipt(receiptOf(entries), runner);

  it("verify as written, as text and as bytes", () => {
    const receipt = signed();
    const text = receiptText(receipt);
    expect(text.endsWith("}\n")).toBe(true);
    expect(verifyReceipt(text)).toEqual({ ok: true, receipt });
    expect(verifyReceipt(Buffer.from(text, "utf8")).ok).toBe(true);
    expect(receipt.signer).toEqual({ name: "runner", key: publicKeyText(runner.privateKey) });
  });

  it("fail when any byte is changed, dropped or added", () => {
    const bytes = Buffer.from(receiptText(signed()), "utf8");
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const changed = Buffer.from(bytes);
        changed[at] = (changed[at]! + delta) % 256;
        const verdict = verifyReceipt(changed);
        expect(verdict.ok, `byte ${at} changed by ${delta}`).toBe(false);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), (at) => {
        expect(verifyReceipt(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(bytes.length), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        expect(verifyReceipt(Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)])).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("fail when the same receipt is laid out another way", () => {
    const receipt = signed();
    const verdict = verifyReceipt(`${JSON.stringify(receipt, null, 2)}\n`);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? "" : verdict.reason).toContain("canonical");
    expect(verifyReceipt(receiptText(receipt).trimEnd()).ok).toBe(false);
    expect(verifyReceipt(`\ufeff${receiptText(receipt)}`).ok).toBe(false);
  });

  it("fail when the signer is swapped, or renamed, even in canonical form", () => {
    const body = receiptOf(entries);
    const theirs = signReceipt(body, other);
    const mine = signReceipt(body, runner);
    const swapped = { ...theirs, signer: mine.signer };
    const verdict = verifyReceipt(receiptText(swapped));
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining("signature does not hold") });
    expect(verifyReceipt(receiptText({ ...mine, signer: theirs.signer })).ok).toBe(false);
    expect(verifyReceipt(receiptText({ ...mine, signer: { ...mine.signer, name: "someone" } })).ok).toBe(false);
  });

  it("fail when the key or the signature is written another way that decodes to the same bytes", () => {
    const receipt = signed();
    // The last character before the padding has bits no byte uses: flipping one changes the text, not what it decodes to.
    const reencoded = (text: string) => {
      const at = text.replace(/=+$/, "").length - 1;
      const alphabet = /[-_]/.test(text) ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const other = `${text.slice(0, at)}${alphabet[alphabet.indexOf(text[at]!) ^ 1]}${text.slice(at + 1)}`;
      expect(Buffer.from(other, "base64")).toEqual(Buffer.from(text, "base64"));
      return other;
    };
    expect(verifyReceipt(receiptText({ ...receipt, signer: { ...receipt.signer, key: reencoded(receipt.signer.key) } })).ok).toBe(false);
    expect(verifyReceipt(receiptText({ ...receipt, signature: reencoded(receipt.signature) })).ok).toBe(false);
  });

  it("fail when the body is changed and written out canonically again", () => {
    const receipt = signed();
    const changed = { ...receipt, body: { ...receipt.body, spent: { ...receipt.body.spent, compute: receipt.body.spent.compute + 1 } } };
    expect(verifyReceipt(receiptText(changed)).ok).toBe(false);
  });
});

describe("the runner's key", () => {
  it("is made on first use, readable by its owner only, and the same key after", () => {
    const project = mkdtempSync(join(tmpdir(), "flow-runner-key-"));
    try {
      const made = runnerKey(project);
      expect(made.file).toBe(runnerKeyFile(project));
      expect(statSync(made.file).mode & 0o777).toBe(0o600);
      expect(made.key).toBe(publicKeyText(made.privateKey));
      expect(runnerKey(project).key).toBe(made.key);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
