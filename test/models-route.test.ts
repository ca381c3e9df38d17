import { beforeAll, describe, expect, it } from "vitest";
import type { ModelRequest } from "../interpreter/models/conversation.ts";
import { ModelSettings } from "../interpreter/models/model-settings.ts";
import { ProviderError, TriedModel } from "../interpreter/models/provider.ts";
import { ProviderSet } from "../interpreter/models/provider-set.ts";
import { callRoute, RouteFailed, type RouteOptions } from "../interpreter/models/route.ts";
import { anthropicError, anthropicOverloaded, anthropicRateLimited, anthropicText } from "./support/fake-anthropic-server.ts";
import { useFakeModelApis } from "./support/fake-model-apis.ts";
import type { FakeAnswer } from "./support/fake-model-server.ts";
import { openAICompletion, openAIError } from "./support/fake-openai-server.ts";

const apis = useFakeModelApis("route");
let providers: ProviderSet;

beforeAll(() => {
  providers = new ProviderSet(ModelSettings.parse({ timeoutMs: 1_000, providers: apis.providers() }), () =>
    expect.fail("no scripted provider in these tests"),
  );
});

const claude = "anthropic:claude-opus-4-7";
const gpt = "openai:gpt-5";
const route = [claude, gpt];

const request: Omit<ModelRequest, "model"> = {
  system: "Be brief.",
  messages: [{ role: "user", content: [{ type: "text", text: "Name one package." }] }],
  tools: [],
  toolChoice: "auto",
  maxTokens: 256,
  caller: { agent: "namer", turn: 0, requestHash: "h" },
};

/** Options whose sleep records the waits asked for instead of waiting. */
function recording(maxRetryAfterMs = 20_000): { waits: number[]; options: RouteOptions } {
  const waits: number[] = [];
  return { waits, options: { maxRetryAfterMs, signal: new AbortController().signal, sleep: async (ms) => void waits.push(ms) } };
}

async function routeFailed(promise: Promise<unknown>): Promise<RouteFailed> {
  const error = await promise.then(
    () => expect.fail("the route answered"),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(RouteFailed);
  const failed = error as RouteFailed;
  expect(failed.cause).toBeInstanceOf(ProviderError);
  // What the ledger will record must be what its schema takes.
  expect(TriedModel.array().parse(failed.tried)).toEqual(failed.tried);
  return failed;
}

describe("a model route", () => {
  it("answers from its first model when it answers, asking it by the provider's own name for the model", async () => {
    apis.anthropic.answer(anthropicText("core"));
    const answer = await callRoute(route, request, providers, recording().options);
    expect(answer).toEqual({
      model: claude,
      reply: { content: [{ type: "text", text: "core" }], stop: "end", usage: { input: 10, output: 5 } },
      tried: [],
    });
    expect(apis.anthropic.requests.map((seen) => seen.body)).toMatchObject([
      { model: "claude-opus-4-7", system: "Be brief.", max_tokens: 256 },
    ]);
    expect(apis.openAI.requests).toHaveLength(0);
  });

  it("moves on to the next model after a server error, and records why", async () => {
    apis.anthropic.answer(anthropicError(500, "api_error", "Internal server error"));
    apis.openAI.answer(openAICompletion({ content: "web" }));
    const answer = await callRoute(route, request, providers, recording().options);
    expect(answer.model).toBe(gpt);
    expect(answer.reply.content).toEqual([{ type: "text", text: "web" }]);
    expect(answer.tried).toEqual([
      {
        model: claude,
        reason: "server_error",
        status: 500,
        message: "anthropic answered 500: Internal server error",
        waitedMs: 0,
      },
    ]);
    expect(apis.openAI.requests.map((seen) => seen.body)).toMatchObject([
      { model: "gpt-5", messages: [{ role: "system" }, { role: "user", content: "Name one package." }] },
    ]);
  });

  it("fails over between two models of one provider, each asked by its own name", async () => {
    // Answers by the model asked for, whatever the order: the first is down, the second answers.
    apis.anthropic.fallback = (seen) => {
      const { model } = seen.body as { model: string };
      return model === "claude-opus-4-7" ? anthropicOverloaded() : anthropicText(`${model} here`);
    };
    const answer = await callRoute([claude, "anthropic:claude-sonnet-4-5"], request, providers, recording().options);
    expect(answer.model).toBe("anthropic:claude-sonnet-4-5");
    expect(answer.reply.content).toEqual([{ type: "text", text: "claude-sonnet-4-5 here" }]);
    expect(answer.tried.map((tried) => [tried.model, tried.status])).toEqual([[claude, 529]]);
    expect(apis.anthropic.requests.map((seen) => (seen.body as { model: string }).model)).toEqual([
      "claude-opus-4-7",
      "claude-sonnet-4-5",
    ]);
    // The same conversation both times: only the model differs.
    const [first, second] = apis.anthropic.requests;
    expect({ ...(first?.body as object), model: null }).toEqual({ ...(second?.body as object), model: null });
  });

  it.each<[string, FakeAnswer, TriedModel["reason"], number | null]>([
    ["an overloaded API", anthropicOverloaded(), "server_error", 529],
    ["a timeout", { kind: "slow", delayMs: 4_000, then: anthropicText("late") }, "timeout", null],
    ["a dropped connection", { kind: "drop" }, "connection", null],
    ["a malformed answer", { kind: "raw", status: 200, body: "not json" }, "malformed", 200],
    ["a 429 without retry-after", anthropicRateLimited(), "rate_limited", 429],
  ])("moves on after %s", async (_what, failure, reason, status) => {
    apis.anthropic.answer(failure);
    apis.openAI.answer(openAICompletion({ content: "web" }));
    const { waits, options } = recording();
    const answer = await callRoute(route, request, providers, options);
    expect(answer.model).toBe(gpt);
    expect(answer.tried.map((tried) => [tried.model, tried.reason, tried.status, tried.waitedMs])).toEqual([
      [claude, reason, status, 0],
    ]);
    expect(waits).toEqual([]);
  });

  it("waits out a short retry-after and asks the same model once more", async () => {
    apis.anthropic.answer(anthropicRateLimited("0.2"), anthropicText("core"));
    const started = performance.now();
    const answer = await callRoute(route, request, providers, { maxRetryAfterMs: 1_000, signal: new AbortController().signal });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(answer.model).toBe(claude);
    expect(answer.tried).toEqual([
      {
        model: claude,
        reason: "rate_limited",
        status: 429,
        message: "anthropic answered 429: Number of request tokens has exceeded your per-minute rate limit",
        waitedMs: 200,
      },
    ]);
    expect(apis.anthropic.requests).toHaveLength(2);
    expect(apis.openAI.requests).toHaveLength(0);
  });

  it("moves on when the model is rate limited again after the wait, listing both tries", async () => {
    apis.anthropic.answer(anthropicRateLimited("0.2"), anthropicRateLimited("0.2"));
    apis.openAI.answer(openAICompletion({ content: "web" }));
    const { waits, options } = recording(1_000);
    const answer = await callRoute(route, request, providers, options);
    expect(answer.model).toBe(gpt);
    expect(answer.tried.map((tried) => [tried.model, tried.reason, tried.waitedMs])).toEqual([
      [claude, "rate_limited", 200],
      [claude, "rate_limited", 0],
    ]);
    expect(waits).toEqual([200]);
  });

  it("moves on at once when retry-after asks for longer than it may wait", async () => {
    apis.anthropic.answer(anthropicRateLimited("60"));
    apis.openAI.answer(openAICompletion({ content: "web" }));
    const { waits, options } = recording(20_000);
    const answer = await callRoute(route, request, providers, options);
    expect(answer.model).toBe(gpt);
    expect(answer.tried.map((tried) => [tried.reason, tried.waitedMs])).toEqual([["rate_limited", 0]]);
    expect(waits).toEqual([]);
    expect(apis.anthropic.requests).toHaveLength(1);
  });

  it.each<[string, FakeAnswer, FakeAnswer, RouteFailed["kind"], string]>([
    [
      "a 429",
      anthropicError(500, "api_error", "boom"),
      openAIError(429, "Rate limit reached"),
      "RateLimited",
      "anthropic:claude-opus-4-7 (500 server error), openai:gpt-5 (429 rate limited)",
    ],
    [
      "a timeout",
      anthropicRateLimited(),
      { kind: "slow", delayMs: 4_000, then: openAICompletion({ content: "late" }) },
      "Timeout",
      "anthropic:claude-opus-4-7 (429 rate limited), openai:gpt-5 (timed out)",
    ],
    [
      "a server error",
      anthropicRateLimited(),
      openAIError(500, "The server had an error"),
      "Transient",
      "anthropic:claude-opus-4-7 (429 rate limited), openai:gpt-5 (500 server error)",
    ],
    [
      "a dropped connection",
      anthropicOverloaded(),
      { kind: "drop" },
      "Transient",
      "anthropic:claude-opus-4-7 (529 server error), openai:gpt-5 (connection failed)",
    ],
  ])("fails when every model fails, by the last failure: %s", async (_what, first, second, kind, list) => {
    apis.anthropic.answer(first);
    apis.openAI.answer(second);
    const failed = await routeFailed(callRoute(route, request, providers, recording().options));
    expect(failed.kind).toBe(kind);
    expect(failed.message).toBe(`every model of the route failed: ${list}`);
    expect(failed.tried.map((tried) => tried.model)).toEqual(route);
  });

  it("names a retried model's wait in the failure", async () => {
    apis.anthropic.answer(anthropicRateLimited("0.2"), anthropicRateLimited("0.2"));
    apis.openAI.answer(openAIError(503, "overloaded"));
    const failed = await routeFailed(callRoute(route, request, providers, recording(1_000).options));
    expect(failed.message).toBe(
      "every model of the route failed: anthropic:claude-opus-4-7 (429 rate limited, retried after 200 ms), anthropic:claude-opus-4-7 (429 rate limited), openai:gpt-5 (503 server error)",
    );
  });

  it("stops at once on a refused key, without trying the next model", async () => {
    apis.anthropic.answer(anthropicError(401, "authentication_error", "invalid x-api-key"));
    const failed = await routeFailed(callRoute(route, request, providers, recording().options));
    expect(failed.kind).toBe("Failed");
    expect(failed.tried).toEqual([]);
    expect(failed.message).toBe(
      "anthropic:claude-opus-4-7 failed (401 refused the API key): anthropic answered 401: invalid x-api-key",
    );
    expect((failed.cause as ProviderError).reason).toBe("auth");
    expect(apis.openAI.requests).toHaveLength(0);
  });

  it("stops at a refused request after failing over, keeping what it tried before", async () => {
    apis.anthropic.answer(anthropicOverloaded());
    apis.openAI.answer(openAIError(400, "Invalid schema for function 'read_file'"));
    const failed = await routeFailed(callRoute([claude, gpt, "openai:gpt-5-mini"], request, providers, recording().options));
    expect(failed.kind).toBe("Failed");
    expect(failed.tried.map((tried) => tried.reason)).toEqual(["server_error"]);
    expect(failed.message).toBe(
      "openai:gpt-5 failed (400 refused the request): openai answered 400: Invalid schema for function 'read_file' (after anthropic:claude-opus-4-7 (529 server error))",
    );
    expect(apis.openAI.requests).toHaveLength(1);
  });

  it("stops at a provider whose key is not set", async () => {
    delete process.env[apis.openAIKeyEnv];
    apis.anthropic.answer(anthropicOverloaded());
    const failed = await routeFailed(callRoute(route, request, providers, recording().options));
    expect(failed.kind).toBe("Failed");
    expect(failed.message).toContain(`reads its API key from the environment variable ${apis.openAIKeyEnv}, which is not set`);
    expect(apis.openAI.requests).toHaveLength(0);
  });

  it("fails before any call when a model names a provider that is not configured", async () => {
    const failed = await routeFailed(callRoute([claude, "mistral:large"], request, providers, recording().options));
    expect(failed.kind).toBe("Failed");
    expect(failed.tried).toEqual([]);
    expect(failed.message).toMatch(
      /^no provider `mistral` for the model `mistral:large`: add it to `models.providers` in flow.config.json/,
    );
    expect(apis.anthropic.requests).toHaveLength(0);
  });

  it("refuses a route without models", async () => {
    await expect(callRoute([], request, providers, recording().options)).rejects.toThrow(RangeError);
  });

  it("stops waiting on a retry-after when the caller aborts, with the caller's reason", async () => {
    apis.anthropic.answer(anthropicRateLimited("5"));
    const controller = new AbortController();
    const reason = new Error("the run was paused");
    const started = performance.now();
    setTimeout(() => controller.abort(reason), 100);
    await expect(callRoute(route, request, providers, { maxRetryAfterMs: 20_000, signal: controller.signal })).rejects.toBe(
      reason,
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(apis.anthropic.requests).toHaveLength(1);
    expect(apis.openAI.requests).toHaveLength(0);
  });

  it("stops a call in flight when the caller aborts, without failing over", async () => {
    apis.anthropic.answer({ kind: "slow", delayMs: 4_000, then: anthropicText("late") });
    const controller = new AbortController();
    const reason = new Error("the run was cancelled");
    setTimeout(() => controller.abort(reason), 50);
    await expect(
      callRoute(
        route,
        request,
        { resolve: (id) => providers.resolve(id) },
        { maxRetryAfterMs: 0, signal: controller.signal, sleep: async () => {} },
      ),
    ).rejects.toBe(reason);
    expect(apis.openAI.requests).toHaveLength(0);
  });

  it("lets an error that is no provider's failure through as it is", async () => {
    const bug = new TypeError("a bug in a provider");
    const broken = {
      resolve: (id: string) => ({
        model: id,
        provider: {
          name: "broken",
          call: () => Promise.reject(bug),
        },
      }),
    };
    await expect(callRoute(["broken:a", "broken:b"], request, broken, recording().options)).rejects.toBe(bug);
  });
});
