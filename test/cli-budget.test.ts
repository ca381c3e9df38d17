import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBudget } from "../cli/budget-option.ts";
import type { Receipt } from "../interpreter/receipts/receipt.ts";
import { receiptText, signReceipt } from "../interpreter/receipts/signature.ts";
import { runFlow } from "./support/run-cli.ts";

/**
 * The budget at run time, as users type the commands: a fan-out whose
 * steps each charge about 400 ms of compute against a 3.5 s envelope,
 * two at a time, each priced at its node's one-attempt ceiling (1 s)
 * before it is dispatched.
 */

function project(marker: string, concurrency = 2, ceiling = "3500ms"): { cwd: string; flow: (...args: string[]) => ReturnType<typeof runFlow> } {
  const cwd = mkdtempSync(join(tmpdir(), "flow-budget-"));
  writeFileSync(
    join(cwd, "main.flow"),
    `import { sh } from "std/sandbox"

node work(n: int) -> int
  effects { proc }
  budget  { compute: 1s }
{
  let r = sh("sleep 0.4; echo \${n as string} >> out.txt # ${marker}")
  return n
}

workflow main(ns: List<int, max 10>) -> List<int>
  budget { compute: ${ceiling} }
  grants { proc }
{
  return for n in ns concurrency ${concurrency} { work(n) }
}
`,
  );
  return { cwd, flow: (...args: string[]) => runFlow(args, { cwd }) };
}

const runIdOf = (stderr: string) => /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(stderr)?.[1] ?? "";

/** The lines each work tree's out.txt gained: one per item that ran its step. */
function ran(cwd: string, run: string): number[] {
  const items: number[] = [];
  for (let i = 0; i < 10; i++) {
    try {
      items.push(...readFileSync(join(cwd, ".flow", "work", run, `work[${i}]`, "out.txt"), "utf8").trim().split("\n").map(Number));
    } catch {
      // Never dispatched.
    }
  }
  return items.sort((a, b) => a - b);
}

describe("a fan-out that exhausts its budget midway", () => {
  it("refuses the dispatches that would breach it, drains, aborts cleanly; flow resume --budget completes it; the ledger replays", () => {
    const marker = `flow-budget-${process.pid}-${Date.now()}`;
    const p = project(marker);
    const started = p.flow("run", "main.flow", "--sandbox", "process", "--arg", "ns=[1,2,3,4,5,6,7,8,9,10]");
    expect(started.code, started.stderr).toBe(1);
    const run = runIdOf(started.stderr);
    expect(started.stderr).toMatch(/work\[\d\] refused: it may need 1s of compute, \d+ms remain/);
    expect(started.stderr).toMatch(new RegExp(`run ${run} aborted: a dispatch would exceed the run's budget \\(compute: [0-9.]+s spent of 3\\.5s\\)`));
    expect(started.stderr).toContain(`\`flow resume ${run} --budget compute=…\``);
    // Drained: no step of the run is left running.
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(marker);

    const ledger = p.flow("export", run).stdout.trim().split("\n").map((t) => JSON.parse(t) as { kind: string; data: Record<string, unknown>; vertex?: string });
    const refused = ledger.filter((e) => e.kind === "budget.refused");
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.data).toMatchObject({ unit: "compute", need: 1000 });
    const completed = ledger.filter((e) => e.kind === "vertex.completed").length;
    expect(completed).toBeGreaterThan(0);
    expect(completed).toBeLessThan(10);
    expect(ledger.at(-1)?.kind).toBe("run.aborted");
    // The recorded reason keeps the wording ledgers have always held (replay writes it again): only what people read changed.
    expect(ledger.at(-1)?.data["reason"]).toMatch(/^a dispatch would exceed the run's budget \(compute: [0-9.]+ s spent of 3\.5 s\)$/);
    // Nothing past the abort, and every started attempt ended before it.
    expect(ledger.filter((e) => e.kind === "vertex.started").length).toBe(completed);
    expect(ran(p.cwd, run)).toHaveLength(completed);
    expect(p.flow("runs").stdout).toMatch(new RegExp(`${run}  aborted`));

    // The signed reason: the receipt made as it stopped, which verifies; a changed byte does not.
    const abortSeq = ledger.length - 1;
    const file = join(".flow", "receipts", `${run}-${abortSeq}.json`);
    expect(started.stderr).toContain(`receipt: ${file}`);
    const receipt = JSON.parse(readFileSync(join(p.cwd, file), "utf8")) as { body: { status: string; aborts: { reason: string }[]; refusals: unknown[] } };
    expect(receipt.body.status).toBe("aborted");
    expect(receipt.body.aborts[0]?.reason).toMatch(/^a dispatch would exceed the run's budget \(compute: /);
    expect(receipt.body.refusals).toHaveLength(refused.length);
    const verified = p.flow("receipt", "--verify", file);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const text = readFileSync(join(p.cwd, file), "utf8");
    writeFileSync(join(p.cwd, "changed.json"), text.replace('"aborted"', '"complete"'));
    expect(p.flow("receipt", "--verify", "changed.json").code).toBe(1);
    // The same body signed with another key holds as a signature, and is still not this project's receipt.
    const real = JSON.parse(text) as Receipt;
    const forged = receiptText(signReceipt({ ...real.body, status: "completed", aborts: [] }, { name: "runner", privateKey: generateKeyPairSync("ed25519").privateKey }));
    writeFileSync(join(p.cwd, "forged.json"), forged);
    const foreign = p.flow("receipt", "--verify", "forged.json");
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain("not this project's runner key");
    // Elsewhere, with no runner key, only the key given vouches.
    const elsewhere = mkdtempSync(join(tmpdir(), "flow-receipt-elsewhere-"));
    writeFileSync(join(elsewhere, "r.json"), text);
    expect(runFlow(["receipt", "--verify", "r.json"], { cwd: elsewhere }).stdout).toContain("which nothing here vouches for");
    expect(runFlow(["receipt", "--verify", "r.json", "--key", real.signer.key], { cwd: elsewhere }).code).toBe(0);

    // `flow status` says why it stopped and how to go on.
    const stopped = p.flow("status", run);
    expect(stopped.stdout).toMatch(/^aborted   a dispatch would exceed the run's budget \(compute: [0-9.]+s spent of 3\.5s\)$/m);
    expect(stopped.stdout).toContain(`next      \`flow resume ${run} --budget compute=…\` continues it with a fresh envelope\n`);

    // Resumed without a new envelope: refused, as it would stop again at once, and nothing is recorded.
    const before = p.flow("export", run).stdout;
    const again = p.flow("resume", run);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`^flow: run ${run} is stopped by its budget: a dispatch would exceed the run's budget \\(compute: [0-9.]+s spent of 3\\.5s\\)\n\`flow resume ${run} --budget compute=…\` continues it with a fresh envelope\n$`));
    expect(p.flow("export", run).stdout).toBe(before);

    const resumed = p.flow("resume", run, "--budget", "compute=10s");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe("[1,2,3,4,5,6,7,8,9,10]\n");
    // Where it was taken over: the envelope is recorded right after, before anything it lets be dispatched.
    const kinds = p.flow("export", run).stdout.trim().split("\n").map((t) => (JSON.parse(t) as { kind: string }).kind);
    const envelopeAt = kinds.lastIndexOf("budget.set");
    expect(kinds[envelopeAt - 1]).toBe("run.resumed");
    expect(resumed.stderr).toContain(`run ${run}: resumed at entry ${envelopeAt - 1} with a fresh envelope (compute 10s)\n`);
    // Each item's step ran once: the drained ones were not run again.
    expect(ran(p.cwd, run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const replay = p.flow("replay", run);
    expect(replay.code, replay.stdout).toBe(0);
  });

  it("prices the attempts one pass dispatches together: each after those before it, and none after a refusal", () => {
    const p = project(`flow-budget-pass-${process.pid}`, 4, "1500ms");
    const started = p.flow("run", "main.flow", "--sandbox", "process", "--arg", "ns=[1,2,3,4]");
    expect(started.code, started.stderr).toBe(1);
    const run = runIdOf(started.stderr);
    const ledger = p.flow("export", run).stdout.trim().split("\n").map((t) => JSON.parse(t) as { kind: string });
    // One second of worst case reserved leaves half a second: the second is refused, and the pass stops there.
    expect(ledger.filter((e) => e.kind === "vertex.scheduled")).toHaveLength(1);
    expect(ledger.filter((e) => e.kind === "budget.refused")).toHaveLength(1);
    expect(ledger.at(-1)?.kind).toBe("run.aborted");
  });

  it("takes --budget as units and amounts, and says what a wrong one should be", () => {
    const p = project("unused");
    expect(p.flow("resume", "x", "--budget", "compute=fast").stderr).toContain("compute takes a duration: 90s, 2h, 1h30m");
    expect(p.flow("resume", "x", "--budget", "gold=3").stderr).toContain("`gold` is not a unit: tokens, usd, compute or wall");
    // Amounts as a program writes them, durations as the cost tables show them included.
    expect(parseBudget("tokens=1.5M,usd=$5,compute=1h30m,wall=90s")).toEqual({ tokens: 1_500_000, usd: 5, compute: 5_400_000, wall: 90_000 });
    expect(parseBudget("tokens=2000,usd=0.60,wall=1.5h")).toEqual({ tokens: 2_000, usd: 0.6, wall: 5_400_000 });
    for (const wrong of ["tokens=1.5", "tokens=2h", "usd=5k", "compute=30m1h", "wall=2M"]) expect(() => parseBudget(wrong), wrong).toThrow();
  });
});
