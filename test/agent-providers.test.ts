import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallRoute } from "../interpreter/host/model-caller.ts";
import type { EntryOf } from "../interpreter/ledger/entry.ts";
import { ModelSettings } from "../interpreter/models/model-settings.ts";
import { ProviderSet } from "../interpreter/models/provider-set.ts";
import { callRoute } from "../interpreter/models/route.ts";
import { scriptedProvider } from "../interpreter/models/scripted-provider.ts";
import { replayLedger } from "../interpreter/replay.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { anthropicError, anthropicMessage, anthropicRateLimited } from "./support/fake-anthropic-server.ts";
import type { FakeModelServer } from "./support/fake-model-server.ts";
import { openAICompletion } from "./support/fake-openai-server.ts";
import { startFakeAnthropic } from "./support/fake-anthropic-server.ts";
import { startFakeOpenAI } from "./support/fake-openai-server.ts";
import { compileText, runProgram } from "./support/run-program.ts";

/**
 * Agents against real HTTP servers on loopback that speak Anthropic's and
 * OpenAI's wire formats: what the servers saw, what the ledger records of
 * each model tried, and replay with the servers gone.
 */

const program = (tokens: string) => `
import { sh } from "std/sandbox"

type Count = { files: int, note: string }

agent counter(dir: string) -> Count
  models  ["anthropic:claude-sonnet-4-5", "openai:gpt-5"]
  tools   [sh]
  effects { llm, proc, fs.read }
  budget  { tokens: ${tokens}, usd: 1.00, compute: 1m }
  timeout 2m
  prompt  "Count the files in \${dir}."

workflow main() -> Count
  budget { tokens: 1M, usd: 50, compute: 1h }
  grants { llm, proc, fs.read }
{
  let c = counter(".")
  return c
}
`;

let anthropic: FakeModelServer;
let openai: FakeModelServer;

beforeAll(async () => {
  [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
  process.env["FLOW_TEST_ANTHROPIC_KEY"] = "sk-ant-test-key";
  process.env["FLOW_TEST_OPENAI_KEY"] = "sk-openai-test-key";
});

afterAll(async () => {
  await Promise.all([anthropic?.close(), openai?.close()]);
});

beforeEach(() => {
  anthropic.reset();
  openai.reset();
});

function route(timeoutMs = 5_000): CallRoute {
  const settings = ModelSettings.parse({
    providers: {
      anthropic: { api: "anthropic", baseUrl: anthropic.url, apiKeyEnv: "FLOW_TEST_ANTHROPIC_KEY" },
      openai: { api: "openai", baseUrl: openai.url, apiKeyEnv: "FLOW_TEST_OPENAI_KEY" },
    },
    timeoutMs,
    maxRetryAfterMs: 1_000,
  });
  const providers = new ProviderSet(settings, (name, scripted) => scriptedProvider(name, scripted.file));
  return (models, request, signal) => callRoute(models, request, providers, { maxRetryAfterMs: settings.maxRetryAfterMs, signal });
}

async function run(tokens: string, timeoutMs?: number) {
  const result = await runProgram(openMemoryStore(), compileText(program(tokens)), "main", {}, 4, { models: () => route(timeoutMs) });
  return { ...result, all: result.entries.map((s) => s.entry), texts: result.entries.map((s) => s.text) };
}

const modelSteps = (entries: readonly { kind: string }[]) =>
  entries.filter((e): e is EntryOf<"step.completed"> | EntryOf<"step.failed"> => (e.kind === "step.completed" || e.kind === "step.failed") && (e as EntryOf<"step.completed">).data.op === "flow/agent:model@1");

describe("agents against model APIs on loopback", () => {
  it("fails over on a 429 (its retry-after waited out once) and a 500, runs the tool the next model calls, records every model tried, and replays with the servers stopped", async () => {
    anthropic.answer(
      anthropicRateLimited("0.05"),
      anthropicError(500, "api_error", "Internal server error"),
      anthropicMessage([{ type: "tool_use", id: "toolu_02", name: "finish", input: { files: 2, note: "two files" } }], { usage: { input_tokens: 900, output_tokens: 30 } }),
    );
    openai.answer(openAICompletion({ toolCalls: [{ id: "call_01", name: "sh", arguments: '{"command":"printf \'a\\\\nb\\\\n\' | wc -l"}' }], usage: { prompt_tokens: 700, completion_tokens: 40 } }));
    const { outcome, all, texts } = await run("20k");
    expect(outcome).toBe("completed");
    expect((all.find((e) => e.kind === "run.completed") as EntryOf<"run.completed">).data.result).toEqual({ files: 2, note: "two files" });

    const [first, second] = modelSteps(all) as EntryOf<"step.completed">[];
    const answer = first?.data.result as { model: string; tried: unknown[]; usd: number };
    expect(answer.model).toBe("openai:gpt-5");
    expect(answer.tried).toEqual([
      { model: "anthropic:claude-sonnet-4-5", reason: "rate_limited", status: 429, message: expect.stringContaining("rate limit"), waitedMs: 50 },
      { model: "anthropic:claude-sonnet-4-5", reason: "server_error", status: 500, message: expect.stringContaining("Internal server error"), waitedMs: 0 },
    ]);
    // Priced at gpt-5's price ($1.25 / $10 per M), charged as tokens and dollars.
    expect(first?.data.tokens).toBe(740);
    expect(first?.data.usd).toBeCloseTo((700 * 1.25 + 40 * 10) / 1e6, 12);
    expect((second?.data.result as { model: string }).model).toBe("anthropic:claude-sonnet-4-5");

    // What the servers saw: the key in its header, never in the ledger; the tool's result went back to the model.
    expect(anthropic.requests[0]?.headers["x-api-key"]).toBe("sk-ant-test-key");
    expect(texts.join("\n")).not.toContain("sk-ant-test-key");
    const toolTurn = anthropic.requests[2]?.body as { messages: { role: string; content: unknown }[]; max_tokens: number };
    expect(JSON.stringify(toolTurn.messages.at(-1))).toContain('\\"stdout\\":\\"2\\\\n\\"');
    // max_tokens: what the agent has left (20k − 740 tokens), within the default cap.
    expect((anthropic.requests[0]?.body as { max_tokens: number }).max_tokens).toBe(8192);
    expect(toolTurn.max_tokens).toBe(8192);

    await Promise.all([anthropic.close(), openai.close()]);
    try {
      const verdict = await replayLedger(texts);
      expect(verdict).toMatchObject({ kind: "identical", entries: texts.length });
    } finally {
      [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
    }
  });

  it("asks each model for no more than the budget has left, and cuts the agent off at its ceiling", async () => {
    const turn = (n: number, input: number, output: number) =>
      anthropicMessage([{ type: "tool_use", id: `toolu_${n}`, name: "sh", input: { command: "true" } }], { usage: { input_tokens: input, output_tokens: output } });
    anthropic.answer(turn(1, 2_000, 500), turn(2, 2_500, 600), turn(3, 1_000, 100));
    const { outcome, all } = await run("6k");
    expect(outcome).toBe("failed");
    expect(anthropic.requests.map((r) => (r.body as { max_tokens: number }).max_tokens)).toEqual([6_000, 3_500, 400]);
    const failed = all.find((e) => e.kind === "vertex.failed") as EntryOf<"vertex.failed">;
    expect(failed.data.failure.kind).toBe("BudgetExceeded");
    expect(failed.data.failure.message).toContain("having spent 6700 of its 6000 tokens");
    // The run was charged what the answers cost, no more.
    const charged = modelSteps(all).reduce((sum, e) => sum + ((e as EntryOf<"step.completed">).data.tokens ?? 0), 0);
    expect(charged).toBe(6_700);
  });

  it("records a dropped connection and a timeout for each model, and fails the attempt as the last reason says", async () => {
    anthropic.answer({ kind: "drop" });
    openai.answer({ kind: "slow", delayMs: 2_000, then: openAICompletion({ content: "late" }) });
    const { outcome, all } = await run("20k", 300);
    expect(outcome).toBe("failed");
    const [step] = modelSteps(all) as EntryOf<"step.failed">[];
    expect(step?.data.tried?.map((t) => [t.model, t.reason])).toEqual([
      ["anthropic:claude-sonnet-4-5", "connection"],
      ["openai:gpt-5", "timeout"],
    ]);
    expect(step?.data.failure.kind).toBe("Timeout");
    expect(step?.data.failure.message).toContain("every model of the route failed");
  });

  it("moves on from malformed JSON, but stops at once at a refused key", async () => {
    anthropic.answer({ kind: "raw", status: 200, body: '{"content": [' });
    openai.answer(openAIError401());
    const { outcome, all } = await run("20k");
    expect(outcome).toBe("failed");
    const [step] = modelSteps(all) as EntryOf<"step.failed">[];
    expect(step?.data.tried?.map((t) => t.reason)).toEqual(["malformed"]);
    expect(step?.data.failure.kind).toBe("Failed");
    expect(step?.data.failure.message).toContain("openai:gpt-5 failed (401");
    expect(JSON.stringify(all)).not.toContain("sk-openai-test-key");
  });
});

function openAIError401() {
  return { kind: "json" as const, status: 401, body: { error: { message: "Incorrect API key provided: sk-opena**********-key", type: "invalid_request_error", param: null, code: "invalid_api_key" } } };
}
