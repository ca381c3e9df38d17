import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicMessage, startFakeAnthropic } from "./support/fake-anthropic-server.ts";
import type { FakeModelServer } from "./support/fake-model-server.ts";
import { killLiveGroups, spawnGroup } from "./support/crash/children.ts";
import { binary } from "./support/run-cli.ts";

/**
 * An agent's run SIGKILLed while a model call is in flight, against a
 * model API on loopback: `flow resume` asks again only what the journal
 * lacks (the same request, byte for byte), never re-runs the tool its
 * first turn called, and the run replays byte for byte.
 */

const program = `import { sh } from "std/sandbox"

type Tally = { lines: int }

agent tally() -> Tally
  models  ["anthropic:claude-sonnet-4-5"]
  tools   [sh]
  effects { llm, proc, fs.write }
  budget  { tokens: 50k, usd: 1.00, compute: 1m }
  timeout 5m
  prompt  "Append a line to log.txt and count its lines."

workflow main() -> Tally
  budget { tokens: 100k, usd: 5.00, compute: 10m }
  grants { llm, proc, fs.write }
{
  let t = tally()
  return t
}
`;

let server: FakeModelServer;

beforeAll(async () => {
  server = await startFakeAnthropic();
  process.env["FLOW_CRASH_AGENT_KEY"] = "sk-crash-test";
});

afterAll(async () => {
  killLiveGroups();
  await server?.close();
});

async function flow(cwd: string, args: readonly string[]) {
  const child = spawnGroup(binary, args, cwd);
  const exit = await child.exited;
  return { exit, stdout: child.stdout, stderr: child.stderr };
}

describe("an agent killed mid-loop", () => {
  it("resumes from its journal: the model is asked again only what was in flight, the tool is not run twice", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "flow-crash-agent-"));
    writeFileSync(join(cwd, "agent.flow"), program);
    writeFileSync(
      join(cwd, "flow.config.json"),
      JSON.stringify({ models: { providers: { anthropic: { api: "anthropic", baseUrl: server.url, apiKeyEnv: "FLOW_CRASH_AGENT_KEY" } } } }),
    );
    server.answer(
      anthropicMessage([{ type: "tool_use", id: "toolu_1", name: "sh", input: { command: "echo run >> log.txt; wc -l < log.txt" } }], { usage: { input_tokens: 500, output_tokens: 40 } }),
      // The second turn never answers in time: the process is killed while it waits.
      { kind: "slow", delayMs: 60_000, then: anthropicMessage([]) },
      anthropicMessage([{ type: "tool_use", id: "toolu_2", name: "finish", input: { lines: 1 } }], { usage: { input_tokens: 700, output_tokens: 20 } }),
    );

    const first = spawnGroup(binary, ["run", "agent.flow", "--sandbox", "process"], cwd);
    for (let i = 0; server.requests.length < 2 && first.running && i < 600; i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.requests).toHaveLength(2);
    const run = /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(first.stderr)?.[1] ?? "";
    // The kill comes once the tool's result is durable: the next model call may start before it is (the crash window
    // of a step that is not idempotent, docs/runtime.md), and a tool run again would change what the model is asked.
    for (let i = 0; i < 100 && !(await flow(cwd, ["logs", run])).stdout.includes(" sh("); i++) await new Promise((r) => setTimeout(r, 50));
    first.signalGroup("SIGKILL");
    await first.exited;

    const resumed = await flow(cwd, ["resume", run]);
    expect(resumed.exit.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({ lines: 1 });

    // Turn 1 once; turn 2 twice (the call that was in flight, then again), the same request both times.
    expect(server.requests).toHaveLength(3);
    expect(server.requests[2]?.raw).toBe(server.requests[1]?.raw);
    const secondTurn = server.requests[1]?.body as { messages: { content: { type: string; content?: string }[] }[] };
    expect(JSON.stringify(secondTurn.messages.at(-1))).toContain('\\"stdout\\":\\"1\\\\n\\"');

    // The tool ran once: its line is in its work tree once, and the ledger has one `sh` step.
    const ledger = join(cwd, "run.ledger");
    expect((await flow(cwd, ["export", run, "-o", ledger])).exit.code).toBe(0);
    const entries = readFileSync(ledger, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string; data: { op?: string } });
    expect(entries.filter((e) => e.kind === "step.completed" && e.data.op === "std/sandbox:sh@1")).toHaveLength(1);
    expect(entries.filter((e) => e.kind === "step.completed" && e.data.op === "flow/agent:model@1")).toHaveLength(2);
    expect(readFileSync(join(cwd, ".flow", "work", run, "tally", "log.txt"), "utf8")).toBe("run\n");

    const replay = await flow(mkdtempSync(join(tmpdir(), "flow-crash-agent-replay-")), ["replay", ledger]);
    expect(replay.exit.code, replay.stdout).toBe(0);
    expect(replay.stdout).toContain("identical:");
  }, 60_000);
});
