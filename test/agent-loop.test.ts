import { describe, expect, it } from "vitest";
import type { CallRoute } from "../interpreter/host/model-caller.ts";
import type { EntryOf } from "../interpreter/ledger/entry.ts";
import type { ModelRequest } from "../interpreter/models/conversation.ts";
import { splitModelId } from "../interpreter/models/model-settings.ts";
import { type ScriptInput, scriptedProvider } from "../interpreter/models/scripted-provider.ts";
import { replayLedger } from "../interpreter/replay.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { compileText, runProgram } from "./support/run-program.ts";

const program = (budget: string) => `
import { sh, read_file, write_file } from "std/sandbox"

type Note = { file: string, lines: int, verdict: "ok" | "fix" }

agent scribe(topic: string) -> Note
  models  ["anthropic:claude-sonnet-4-5", "openai:gpt-5"]
  tools   [sh, write_file, read_file]
  effects { llm, fs.write, proc }
  budget  { ${budget} }
  timeout 5m
  prompt  "Write a note about \${topic}, then count its lines."

workflow main(topic: string) -> Note
  budget { tokens: 1M, usd: 50, compute: 1h }
  grants { llm, fs.write, proc }
{
  let note = scribe(topic)
  return note
}
`;

const roomy = "tokens: 200k, usd: 2.00, compute: 1m";

/** A route over the scripted provider alone, keeping every request it was sent. */
function scripted(script: ScriptInput): { readonly route: CallRoute; readonly requests: Omit<ModelRequest, "model">[] } {
  const provider = scriptedProvider("scripted", "script.json", script);
  const requests: Omit<ModelRequest, "model">[] = [];
  const route: CallRoute = async (models, request, signal) => {
    requests.push(request);
    const model = models[0] as string;
    return { model, reply: await provider.call({ ...request, model: splitModelId(model)?.model ?? model }, signal), tried: [] };
  };
  return { route, requests };
}

async function run(budget: string, script: ScriptInput) {
  const { route, requests } = scripted(script);
  const result = await runProgram(openMemoryStore(), compileText(program(budget)), "main", { topic: "flow" }, 4, { models: () => route });
  const entries = result.entries.map((s) => s.entry);
  return { ...result, requests, entries, texts: result.entries.map((s) => s.text) };
}

const twoTurns: ScriptInput = {
  answers: [
    {
      agent: "scribe",
      turn: 1,
      reply: {
        text: "I will write it.",
        tool_calls: [
          { name: "write_file", input: { path: "note.md", text: "one\ntwo\nthree\n" } },
          { name: "sh", input: { command: "wc -l < note.md" } },
        ],
        usage: { input: 1200, output: 80 },
      },
    },
    { agent: "scribe", turn: 2, reply: { tool_calls: [], finish: { file: "note.md", lines: 3, verdict: "ok" }, usage: { input: 1500, output: 40 } } },
  ],
};

describe("an agent's loop", () => {
  it("runs the tools the model calls in its sandbox, journals each, and returns the typed result", async () => {
    const { outcome, entries, requests } = await run(roomy, twoTurns);
    expect(outcome).toBe("completed");
    const completed = entries.find((e) => e.kind === "run.completed") as EntryOf<"run.completed">;
    expect(completed.data.result).toEqual({ file: "note.md", lines: 3, verdict: "ok" });
    const steps = entries.filter((e): e is EntryOf<"step.completed"> => e.kind === "step.completed");
    expect(steps.map((s) => s.data.op)).toEqual(["flow/agent:model@1", "std/sandbox:write_file@1", "std/sandbox:sh@1", "flow/agent:model@1"]);
    // The model calls are charged: tokens from usage, dollars at the IR's price of the model that answered ($3/$15 per M).
    expect(steps[0]?.data.tokens).toBe(1280);
    expect(steps[0]?.data.usd).toBeCloseTo((1200 * 3 + 80 * 15) / 1e6, 12);
    expect(steps[1]?.data.tokens).toBeUndefined();
    // The second request carries the model's turn and both tools' results, in order.
    const second = requests[1];
    expect(second?.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(second?.messages[2]?.content).toEqual([
      { type: "tool_result", toolUseId: "scripted-1-1", content: "14", isError: false },
      { type: "tool_result", toolUseId: "scripted-1-2", content: '{"exit":0,"stderr":"","stdout":"3\\n"}', isError: false },
    ]);
    expect(second?.tools.map((t) => t.name)).toEqual(["sh", "write_file", "read_file", "finish"]);
    expect(second?.toolChoice).toBe("any");
    const started = entries.find((e) => e.kind === "vertex.started") as EntryOf<"vertex.started">;
    expect(started.data.sandbox?.effects).toEqual(["fs.write", "proc", "llm"]);
  });

  it("replays byte for byte from the ledger alone, calling no model", async () => {
    const { texts } = await run(roomy, twoTurns);
    const verdict = await replayLedger(texts);
    expect(verdict, JSON.stringify(verdict, null, 1)).toMatchObject({ kind: "identical", entries: texts.length });
  });

  it("gives an invalid result one repair turn that quotes what is wrong", async () => {
    const { outcome, requests, entries } = await run(roomy, {
      answers: [
        { agent: "scribe", turn: 1, reply: { finish: { file: "note.md", lines: "three", verdict: "maybe" } } },
        { agent: "scribe", turn: 2, reply: { finish: { file: "note.md", lines: 3, verdict: "fix" } } },
      ],
    });
    expect(outcome).toBe("completed");
    const repair = requests[1]?.messages[2]?.content[0];
    expect(repair).toMatchObject({ type: "tool_result", isError: true });
    expect(repair?.type === "tool_result" && repair.content).toContain("/lines: must be integer");
    expect(repair?.type === "tool_result" && repair.content).toContain('/verdict: must be one of "ok", "fix"');
    expect((entries.find((e) => e.kind === "run.completed") as EntryOf<"run.completed">).data.result).toEqual({ file: "note.md", lines: 3, verdict: "fix" });
  });

  it("fails as InvalidOutput when the repaired result is invalid too", async () => {
    const { outcome, entries } = await run(roomy, {
      answers: [
        { agent: "scribe", turn: 1, reply: { finish: { file: "note.md" } } },
        { agent: "scribe", turn: 2, reply: { text: "Here it is: 3 lines." } },
      ],
    });
    expect(outcome).toBe("failed");
    const failed = entries.find((e) => e.kind === "vertex.failed") as EntryOf<"vertex.failed">;
    expect(failed.data.failure.kind).toBe("InvalidOutput");
    expect(failed.data.failure.message).toContain("did not return its result");
  });

  it("never asks for more output than the budget has left, and cuts the agent off at its ceiling", async () => {
    const { outcome, requests, entries } = await run("tokens: 3000, usd: 2.00, compute: 1m", {
      answers: [
        { agent: "scribe", turn: 1, reply: { tool_calls: [{ name: "sh", input: { command: "true" } }], usage: { input: 1000, output: 200 } } },
        { agent: "scribe", turn: 2, reply: { tool_calls: [{ name: "sh", input: { command: "true" } }], usage: { input: 1500, output: 250 } } },
        { agent: "scribe", turn: 3, reply: { finish: { file: "x", lines: 0, verdict: "ok" }, usage: { input: 1000, output: 10 } } },
      ],
    });
    expect(requests.map((r) => r.maxTokens)).toEqual([3000, 1800, 50]);
    expect(outcome).toBe("failed");
    const failed = entries.find((e) => e.kind === "vertex.failed") as EntryOf<"vertex.failed">;
    expect(failed.data.failure).toEqual({ kind: "BudgetExceeded", message: "`scribe` was cut off at its budget's ceiling, having spent 3960 of its 3000 tokens and $0.0174 of its $2.00" });
  });

  it("sizes max_tokens by the dollars left at the route's dearest output price", async () => {
    // $0.03 at gpt-5's and sonnet's dearest output price ($15 per M): 2000 tokens.
    const { requests } = await run("tokens: 100k, usd: 0.03, compute: 1m", { answers: [{ agent: "scribe", turn: 1, reply: { finish: { file: "x", lines: 0, verdict: "ok" }, usage: { input: 10, output: 10 } } }] });
    expect(requests[0]?.maxTokens).toBe(2000);
  });

  it("fails the attempt with the missing key when the script has no answer", async () => {
    const { outcome, entries } = await run(roomy, { answers: [{ agent: "scribe", turn: 1, reply: { tool_calls: [{ name: "sh", input: { command: "true" } }] } }] });
    expect(outcome).toBe("failed");
    const failedStep = entries.find((e) => e.kind === "step.failed") as EntryOf<"step.failed">;
    expect(failedStep.data.failure.message).toMatch(/no scripted answer for the agent `scribe`, turn 2, request [0-9a-f]{16} in script\.json: add an answer keyed \{"agent":"scribe","request":"[0-9a-f]{16}","turn":2\}/);
  });

  it("refuses a tool input that does not match the tool's parameters, and tells the model", async () => {
    const { requests, outcome } = await run(roomy, {
      answers: [
        { agent: "scribe", turn: 1, reply: { tool_calls: [{ name: "sh", input: { cmd: "rm -rf /" } }, { name: "git_push", input: {} }] } },
        { agent: "scribe", turn: 2, reply: { finish: { file: "x", lines: 0, verdict: "ok" } } },
      ],
    });
    expect(outcome).toBe("completed");
    const results = requests[1]?.messages[2]?.content ?? [];
    expect(results.map((r) => r.type === "tool_result" && r.isError)).toEqual([true, true]);
    expect(results[0]?.type === "tool_result" && results[0].content).toContain("lacks the field `command`");
    expect(results[1]?.type === "tool_result" && results[1].content).toContain("There is no tool `git_push`");
  });

  it("nudges a model that answered nothing once, without sending its empty turn back", async () => {
    const { outcome, requests } = await run(roomy, {
      answers: [
        { agent: "scribe", turn: 1, reply: {} },
        { agent: "scribe", turn: 2, reply: { finish: { file: "x", lines: 0, verdict: "ok" } } },
      ],
    });
    expect(outcome).toBe("completed");
    expect(requests[1]?.messages.map((m) => m.role)).toEqual(["user", "user"]);
    expect(JSON.stringify(requests[1]?.messages[1])).toContain("You answered without calling a tool");
  });
});
