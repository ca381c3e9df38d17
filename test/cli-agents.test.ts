import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runFlow } from "./support/run-cli.ts";

/** Agents from the command line, as a user types it: README's example on the scripted provider, offline. */

const example = (name: string) => join(repoRoot, "examples", name);
const target = "examples/review-target/rate-limiter.js";
const runIdOf = (stderr: string) => /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(stderr)?.[1] ?? "";

/** A project whose sandboxes may read this repository (the review clones it), with more files if given. */
function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-agents-cli-"));
  writeFileSync(join(dir, "flow.config.json"), JSON.stringify({ sandbox: { profiles: { default: { share: [repoRoot] } } } }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function review(cwd: string, script: string) {
  return runFlow(["run", example("code-review.flow"), "--script", script, "--arg", `repo=file://${repoRoot}`, "--arg", `path=${target}`], {
    cwd,
    env: { ANTHROPIC_API_KEY: "", OPENAI_API_KEY: "" },
  });
}

describe("an agent run from the command line", () => {
  it("runs README's code review offline on the scripted provider, verified by code, and replays it without a model", () => {
    const cwd = project();
    const result = review(cwd, example("code-review.script.json"));
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as { summary: string; findings: { path: string; quote: string; severity: string }[] };
    expect(output.findings.map((f) => f.severity)).toEqual(["high", "medium", "low"]);
    // Every quote is in the file: the verifier, not the model, said so.
    const file = readFileSync(join(repoRoot, target), "utf8");
    for (const finding of output.findings) expect(file).toContain(finding.quote);
    expect(output.findings.every((f) => f.path === target)).toBe(true);

    const id = runIdOf(result.stderr);
    const status = runFlow(["status", id], { cwd });
    expect(status.stdout).toMatch(/^spent +[\d.]+k? tokens of 1M tokens · \$0\.\d\d of \$10\.00 · compute [\d.]+(ms|s) of 30m · wall /m);
    const logs = runFlow(["logs", id], { cwd });
    expect(logs.stdout).toContain("verify:answered passed");
    expect(logs.stdout).toContain("verify:all_anchored passed");
    const ledger = join(cwd, "run.ledger");
    expect(runFlow(["export", id, "-o", ledger], { cwd }).code).toBe(0);
    const entries = readFileSync(ledger, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { kind: string; data: Record<string, unknown> });
    const calls = entries.filter((e) => e.kind === "step.completed" && e.data["op"] === "flow/agent:model@1");
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => typeof c.data["tokens"] === "number" && typeof c.data["usd"] === "number")).toBe(true);
    const tools = entries.filter((e) => e.kind === "step.completed" && String(e.data["op"]).startsWith("std/sandbox:")).map((e) => e.data["op"]);
    expect(tools.slice(0, 3)).toEqual(["std/sandbox:sh@1", "std/sandbox:read_file@1", "std/sandbox:grep@1"]);

    // The receipt accounts for the model calls, per vertex and per model, as the run's budget was charged.
    const receipt = JSON.parse(runFlow(["receipt", id, "--json"], { cwd }).stdout) as {
      body: { spent: { tokens: number; usd: number }; lineItems: { instance: string; tokens: number; byModel: Record<string, { tokens: number }> }[] };
    };
    const reviewLine = receipt.body.lineItems.find((item) => item.instance === "review");
    const charged = calls.reduce((sum, c) => sum + (c.data["tokens"] as number), 0);
    expect(reviewLine?.tokens).toBe(charged);
    expect(reviewLine?.byModel).toEqual({ "anthropic:claude-sonnet-4-5": { tokens: charged, usd: expect.any(Number) } });
    expect(receipt.body.spent.tokens).toBe(charged);

    // Elsewhere, with no script, no key and no store: the ledger alone.
    const fresh = runFlow(["replay", ledger], { cwd: mkdtempSync(join(tmpdir(), "flow-agents-replay-")) });
    expect(fresh.code, fresh.stdout).toBe(0);
    expect(fresh.stdout).toMatch(/^identical: \d+ entries/);
  });

  it("fails the run when a finding quotes text that is not in its file: the verifier decides, not the model", () => {
    const script = JSON.parse(readFileSync(example("code-review.script.json"), "utf8")) as { answers: { reply: { finish?: { findings: { quote: string }[] } } }[] };
    const finding = script.answers[2]?.reply.finish?.findings[1];
    if (finding === undefined) throw new Error("the example's script changed");
    finding.quote = "const buckets = new Map();";
    const cwd = project({ "invented.script.json": JSON.stringify(script) });
    const result = review(cwd, "invented.script.json");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("a finding quotes text that is not in its file");
  });

  it("says the repository could not be cloned, rather than that every quote is missing, when its sandbox cannot see it", () => {
    // No profile shares this repository: the project's own directory is all the sandbox sees.
    const cwd = mkdtempSync(join(tmpdir(), "flow-agents-unshared-"));
    const result = review(cwd, example("code-review.script.json"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`unanchored: Failed: could not clone file://${repoRoot}: `);
    expect(result.stderr).not.toContain("a finding quotes text that is not in its file");
  });

  it("names the answer to add when the script has none for a request", () => {
    const script = JSON.parse(readFileSync(example("code-review.script.json"), "utf8")) as { answers: unknown[] };
    const cwd = project({ "short.script.json": JSON.stringify({ answers: script.answers.slice(0, 2) }) });
    const result = review(cwd, "short.script.json");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no scripted answer for the agent `review`, turn 3, request [0-9a-f]{16} in .*short\.script\.json: add an answer keyed \{"agent":"review","request":"[0-9a-f]{16}","turn":3\}/);
  });

  it("refuses a script that cannot be used before recording anything", () => {
    const cwd = project({ "bad.script.json": JSON.stringify({ answers: [{ agent: "review", turn: 0, reply: {} }] }) });
    const bad = review(cwd, "bad.script.json");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("flow: the script ");
    expect(bad.stderr).toContain("answers.0.turn");
    const missing = review(cwd, "nowhere.json");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the script");
    expect(runFlow(["runs"], { cwd }).stderr).toBe("no runs yet: `flow run FILE` starts one\n");
  });

  it("refuses a model whose provider the project does not define", () => {
    const cwd = project({
      "agent.flow": 'agent a(x: string) -> string\n  models ["mystery:m1"]\n  effects { llm }\n  budget { tokens: 1k, usd: 1.00 }\n  timeout 1m\n  prompt "${x}"\n\nworkflow w() -> string\n  budget { tokens: 10k, usd: 5.00 }\n  grants { llm }\n{\n  return a("hi")\n}\n',
    });
    const result = runFlow(["run", "agent.flow"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("flow: the model `mystery:m1` names no provider this project defines\nadd it to `models.providers` in flow.config.json (README, \"Models\"), or run offline with `--script FILE`\n");
  });
});
