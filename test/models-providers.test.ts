import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { AnthropicProvider } from "../interpreter/models/anthropic-provider.ts";
import type { ModelRequest } from "../interpreter/models/conversation.ts";
import { ModelSettings } from "../interpreter/models/model-settings.ts";
import { OpenAIProvider } from "../interpreter/models/openai-provider.ts";
import { type Provider, ProviderError } from "../interpreter/models/provider.ts";
import { ProviderSet, type ScriptedSettings } from "../interpreter/models/provider-set.ts";
import {
  anthropicError,
  anthropicMessage,
  anthropicOverloaded,
  anthropicRateLimited,
  anthropicText,
} from "./support/fake-anthropic-server.ts";
import { useFakeModelApis } from "./support/fake-model-apis.ts";
import type { FakeAnswer } from "./support/fake-model-server.ts";
import { openAICompletion, openAIError } from "./support/fake-openai-server.ts";

const apis = useFakeModelApis("providers");
const { anthropicKeyEnv, openAIKeyEnv, anthropicKey, openAIKey } = apis;

function anthropic(timeoutMs = 5_000): AnthropicProvider {
  return new AnthropicProvider("anthropic", { baseUrl: apis.anthropic.url, apiKeyEnv: anthropicKeyEnv, timeoutMs });
}

function openAI(
  options: { timeoutMs?: number; apiKeyEnv?: string | null; maxTokensField?: "max_tokens" | "max_completion_tokens" } = {},
): OpenAIProvider {
  return new OpenAIProvider("openai", {
    baseUrl: apis.openAI.url,
    apiKeyEnv: options.apiKeyEnv === undefined ? openAIKeyEnv : options.apiKeyEnv,
    timeoutMs: options.timeoutMs ?? 5_000,
    maxTokensField: options.maxTokensField ?? "max_completion_tokens",
  });
}

const readFile = {
  name: "read_file",
  description: "Reads a file of the work tree.",
  inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
};

/** A conversation with every kind of block: text, a tool call and its results (one failed), then more text. */
const conversation: ModelRequest = {
  model: "the-model",
  system: "You migrate repositories.",
  messages: [
    { role: "user", content: [{ type: "text", text: "List the packages." }] },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Reading both manifests." },
        { type: "tool_use", id: "toolu_01", name: "read_file", input: { path: "package.json" } },
        { type: "tool_use", id: "toolu_02", name: "read_file", input: { path: "missing.json" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", toolUseId: "toolu_01", content: '{"workspaces":["a","b"]}', isError: false },
        { type: "tool_result", toolUseId: "toolu_02", content: "no such file", isError: true },
        { type: "text", text: "Go on." },
      ],
    },
  ],
  tools: [readFile],
  toolChoice: "any",
  maxTokens: 1_024,
  caller: { agent: "migrator", turn: 2, requestHash: "caller-hash-never-sent" },
};

const bare: ModelRequest = {
  ...conversation,
  system: "",
  messages: [{ role: "user", content: [{ type: "text", text: "Hi." }] }],
  tools: [],
  toolChoice: "auto",
};

/** The error `promise` rejects with, which must be a ProviderError. */
async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => expect.fail("the call answered"),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("the Anthropic provider", () => {
  it("sends the conversation in the Messages API's wire format, with the key and version headers", async () => {
    apis.anthropic.answer(anthropicText("ok"));
    await anthropic().call(conversation, new AbortController().signal);

    expect(apis.anthropic.requests).toHaveLength(1);
    const [seen] = apis.anthropic.requests;
    expect(seen?.method).toBe("POST");
    expect(seen?.path).toBe("/v1/messages");
    expect(seen?.headers["x-api-key"]).toBe(anthropicKey);
    expect(seen?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(seen?.headers["content-type"]).toBe("application/json");
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.raw).toBe(
      JSON.stringify({
        model: "the-model",
        max_tokens: 1_024,
        system: "You migrate repositories.",
        messages: [
          { role: "user", content: [{ type: "text", text: "List the packages." }] },
          {
            role: "assistant",
            content: [
              { type: "text", text: "Reading both manifests." },
              { type: "tool_use", id: "toolu_01", name: "read_file", input: { path: "package.json" } },
              { type: "tool_use", id: "toolu_02", name: "read_file", input: { path: "missing.json" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_01", content: '{"workspaces":["a","b"]}', is_error: false },
              { type: "tool_result", tool_use_id: "toolu_02", content: "no such file", is_error: true },
              { type: "text", text: "Go on." },
            ],
          },
        ],
        tools: [{ name: "read_file", description: "Reads a file of the work tree.", input_schema: readFile.inputSchema }],
        tool_choice: { type: "any" },
      }),
    );
    expect(seen?.raw).not.toContain("caller-hash-never-sent");
  });

  it("leaves out an empty system prompt, and tools and tool_choice when there are no tools", async () => {
    apis.anthropic.answer(anthropicText("hello"));
    await anthropic().call(bare, new AbortController().signal);
    expect(apis.anthropic.requests[0]?.body).toEqual({
      model: "the-model",
      max_tokens: 1_024,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi." }] }],
    });
  });

  it("sends tool_choice auto when the model may answer without a tool", async () => {
    apis.anthropic.answer(anthropicText("hello"));
    await anthropic().call({ ...bare, tools: [readFile] }, new AbortController().signal);
    expect(apis.anthropic.requests[0]?.body).toMatchObject({ tool_choice: { type: "auto" } });
  });

  it("reads text, tool calls, the stop reason and usage from the answer", async () => {
    apis.anthropic.answer(
      anthropicMessage(
        [
          { type: "text", text: "Reading it." },
          { type: "tool_use", id: "toolu_9", name: "read_file", input: { path: "a/package.json", lines: [1, 2] } },
        ],
        { usage: { input_tokens: 1_234, output_tokens: 56 } },
      ),
    );
    const reply = await anthropic().call(conversation, new AbortController().signal);
    expect(reply).toEqual({
      content: [
        { type: "text", text: "Reading it." },
        { type: "tool_use", id: "toolu_9", name: "read_file", input: { path: "a/package.json", lines: [1, 2] } },
      ],
      stop: "tool_use",
      usage: { input: 1_234, output: 56 },
    });
  });

  it.each([
    ["end_turn", "end"],
    ["tool_use", "tool_use"],
    ["max_tokens", "max_tokens"],
    ["refusal", "other"],
    ["pause_turn", "other"],
  ])("maps the stop reason %s to %s", async (wire, stop) => {
    apis.anthropic.answer(anthropicMessage([{ type: "text", text: "x" }], { stop: wire }));
    expect((await anthropic().call(bare, new AbortController().signal)).stop).toBe(stop);
  });

  it("counts prompt-cache tokens as input, and leaves out blocks of kinds it never asks for", async () => {
    apis.anthropic.answer({
      kind: "json",
      status: 200,
      body: {
        content: [
          { type: "thinking", thinking: "hmm", signature: "sig" },
          { type: "text", text: "done" },
        ],
        stop_reason: "end_turn",
        usage: { input_tokens: 10, output_tokens: 3, cache_creation_input_tokens: 100, cache_read_input_tokens: 1_000 },
      },
    });
    expect(await anthropic().call(bare, new AbortController().signal)).toEqual({
      content: [{ type: "text", text: "done" }],
      stop: "end",
      usage: { input: 1_110, output: 3 },
    });
  });

  it("finds a text block without its text malformed rather than leaving it out", async () => {
    apis.anthropic.answer({
      kind: "json",
      status: 200,
      body: { content: [{ type: "text" }], stop_reason: "end_turn", usage: { input_tokens: 1, output_tokens: 1 } },
    });
    const error = await providerError(anthropic().call(bare, new AbortController().signal));
    expect(error.reason).toBe("malformed");
    expect(error.message).toContain("content.0");
  });

  it("reads the key at each call, and without it sends nothing and names the variable", async () => {
    const provider = anthropic();
    delete process.env[anthropicKeyEnv];
    const error = await providerError(provider.call(bare, new AbortController().signal));
    expect(error.reason).toBe("not_configured");
    expect(error.message).toBe(
      "the provider `anthropic` reads its API key from the environment variable FLOW_TEST_PROVIDERS_ANTHROPIC_KEY, which is not set",
    );
    expect(apis.anthropic.requests).toHaveLength(0);

    process.env[anthropicKeyEnv] = "sk-ant-rotated";
    apis.anthropic.answer(anthropicText("ok"));
    await provider.call(bare, new AbortController().signal);
    expect(apis.anthropic.requests[0]?.headers["x-api-key"]).toBe("sk-ant-rotated");
  });

  it("finds a 529 a server error, and keeps the API's message", async () => {
    apis.anthropic.answer(anthropicOverloaded());
    const error = await providerError(anthropic().call(bare, new AbortController().signal));
    expect([error.reason, error.status, error.message]).toEqual(["server_error", 529, "anthropic answered 529: Overloaded"]);
  });

  it("takes retry-after in seconds from a 429", async () => {
    apis.anthropic.answer(anthropicRateLimited("3"));
    const error = await providerError(anthropic().call(bare, new AbortController().signal));
    expect([error.reason, error.status, error.retryAfterMs]).toEqual(["rate_limited", 429, 3_000]);
    expect(error.message).toBe("anthropic answered 429: Number of request tokens has exceeded your per-minute rate limit");
  });
});

describe("the OpenAI-compatible provider", () => {
  it("sends the conversation as Chat Completions messages, with the bearer key", async () => {
    apis.openAI.answer(openAICompletion({ content: "ok" }));
    await openAI().call(conversation, new AbortController().signal);

    expect(apis.openAI.requests).toHaveLength(1);
    const [seen] = apis.openAI.requests;
    expect(seen?.path).toBe("/v1/chat/completions");
    expect(seen?.headers.authorization).toBe(`Bearer ${openAIKey}`);
    expect(seen?.headers["content-type"]).toBe("application/json");
    expect(seen?.raw).toBe(
      JSON.stringify({
        model: "the-model",
        messages: [
          { role: "system", content: "You migrate repositories." },
          { role: "user", content: "List the packages." },
          {
            role: "assistant",
            content: "Reading both manifests.",
            tool_calls: [
              { id: "toolu_01", type: "function", function: { name: "read_file", arguments: '{"path":"package.json"}' } },
              { id: "toolu_02", type: "function", function: { name: "read_file", arguments: '{"path":"missing.json"}' } },
            ],
          },
          { role: "tool", tool_call_id: "toolu_01", content: '{"workspaces":["a","b"]}' },
          { role: "tool", tool_call_id: "toolu_02", content: "error: no such file" },
          { role: "user", content: "Go on." },
        ],
        tools: [
          {
            type: "function",
            function: { name: "read_file", description: "Reads a file of the work tree.", parameters: readFile.inputSchema },
          },
        ],
        tool_choice: "required",
        max_completion_tokens: 1_024,
      }),
    );
    expect(seen?.raw).not.toContain("caller-hash-never-sent");
  });

  it("sends no key to a server that takes none, max_tokens where configured, and several text blocks as parts", async () => {
    apis.openAI.answer(openAICompletion({ content: "ok" }));
    const request: ModelRequest = {
      ...bare,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "One." },
            { type: "text", text: "Two." },
          ],
        },
        { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "read_file", input: { path: "x" } }] },
        { role: "user", content: [{ type: "tool_result", toolUseId: "call_1", content: "x's text", isError: false }] },
        { role: "assistant", content: [] },
      ],
      tools: [readFile],
    };
    await openAI({ apiKeyEnv: null, maxTokensField: "max_tokens" }).call(request, new AbortController().signal);
    const [seen] = apis.openAI.requests;
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.body).toEqual({
      model: "the-model",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "One." },
            { type: "text", text: "Two." },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "read_file", arguments: '{"path":"x"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "x's text" },
        { role: "assistant", content: "" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "read_file", description: "Reads a file of the work tree.", parameters: readFile.inputSchema },
        },
      ],
      tool_choice: "auto",
      max_tokens: 1_024,
    });
  });

  it("reads text, tool calls with their arguments parsed, the finish reason and usage", async () => {
    apis.openAI.answer(
      openAICompletion({
        content: "Reading it.",
        toolCalls: [{ id: "call_9", name: "read_file", arguments: '{"path":"a/package.json","lines":[1,2]}' }],
        usage: { prompt_tokens: 1_234, completion_tokens: 56 },
      }),
    );
    expect(await openAI().call(conversation, new AbortController().signal)).toEqual({
      content: [
        { type: "text", text: "Reading it." },
        { type: "tool_use", id: "call_9", name: "read_file", input: { path: "a/package.json", lines: [1, 2] } },
      ],
      stop: "tool_use",
      usage: { input: 1_234, output: 56 },
    });
  });

  it.each([
    ["stop", false, "end"],
    ["stop", true, "tool_use"],
    ["tool_calls", true, "tool_use"],
    ["length", false, "max_tokens"],
    ["content_filter", false, "other"],
  ])("maps the finish reason %s (tool calls: %s) to %s", async (finish, calls, stop) => {
    const toolCalls = calls ? [{ id: "call_1", name: "read_file", arguments: "{}" }] : [];
    apis.openAI.answer(openAICompletion({ content: null, toolCalls, finish }));
    expect((await openAI().call(bare, new AbortController().signal)).stop).toBe(stop);
  });

  it("finds tool arguments that are not JSON malformed", async () => {
    apis.openAI.answer(openAICompletion({ toolCalls: [{ id: "call_1", name: "read_file", arguments: '{"path": "a' }] }));
    const error = await providerError(openAI().call(bare, new AbortController().signal));
    expect([error.reason, error.status, error.message]).toEqual([
      "malformed",
      200,
      "openai answered 200 with a call of the tool `read_file` whose arguments are not JSON",
    ]);
  });

  it("finds an answer without choices malformed", async () => {
    apis.openAI.answer({ kind: "json", status: 200, body: { choices: [], usage: { prompt_tokens: 1, completion_tokens: 0 } } });
    const error = await providerError(openAI().call(bare, new AbortController().signal));
    expect(error.reason).toBe("malformed");
    expect(error.message).toContain("at choices");
  });

  it("takes retry-after-ms before retry-after", async () => {
    apis.openAI.answer(openAIError(429, "Rate limit reached for gpt-5", { "retry-after-ms": "150", "retry-after": "1" }));
    const error = await providerError(openAI().call(bare, new AbortController().signal));
    expect([error.reason, error.retryAfterMs]).toEqual(["rate_limited", 150]);
  });

  it("takes retry-after as an HTTP date", async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    apis.openAI.answer(openAIError(429, "slow down", { "retry-after": at }));
    const error = await providerError(openAI().call(bare, new AbortController().signal));
    expect(error.retryAfterMs).toBeGreaterThan(28_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it("finds an HTTP date already past no wait at all, and a retry-after it cannot read none", async () => {
    apis.openAI.answer(
      openAIError(429, "x", { "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" }),
      openAIError(429, "x", { "retry-after": "soon" }),
    );
    expect((await providerError(openAI().call(bare, new AbortController().signal))).retryAfterMs).toBe(0);
    expect((await providerError(openAI().call(bare, new AbortController().signal))).retryAfterMs).toBeNull();
  });
});

/**
 * Each failure, for both providers: how the answer is sorted, and that no
 * message carries the key, even when the provider's body echoes it.
 */
/** What a failure's answer is made from: the key the provider sends, and its API's error answer. */
interface FailureContext {
  readonly key: string;
  readonly error: (status: number, message: string) => FakeAnswer;
}

const failures: {
  what: string;
  answer: (context: FailureContext) => FakeAnswer;
  reason: ProviderError["reason"];
  status: number | null;
  says?: string;
}[] = [
  {
    what: "a 429 without retry-after",
    answer: ({ error }) => error(429, "slow down"),
    reason: "rate_limited",
    status: 429,
    says: "slow down",
  },
  {
    what: "a 500",
    answer: ({ error }) => error(500, "internal error"),
    reason: "server_error",
    status: 500,
    says: "internal error",
  },
  {
    what: "a 503 with an HTML body",
    answer: () => ({ kind: "raw", status: 503, body: "<html>\n  <h1>Service Unavailable</h1>\n</html>" }),
    reason: "server_error",
    status: 503,
    says: "<html> <h1>Service Unavailable</h1> </html>",
  },
  {
    what: "a 401 that echoes the key",
    answer: ({ key, error }) => error(401, `invalid x-api-key ${key}`),
    reason: "auth",
    status: 401,
    says: "invalid x-api-key [API key]",
  },
  {
    what: "a 403",
    answer: ({ error }) => error(403, "not allowed to use this model"),
    reason: "auth",
    status: 403,
    says: "not allowed to use this model",
  },
  {
    what: "a 400",
    answer: ({ error }) => error(400, "messages.1: tool_use ids must be unique"),
    reason: "bad_request",
    status: 400,
    says: "messages.1: tool_use ids must be unique",
  },
  {
    what: "a 404 with a bare error string",
    answer: () => ({ kind: "json", status: 404, body: { error: "model 'qwen9' not found" } }),
    reason: "bad_request",
    status: 404,
    says: "model 'qwen9' not found",
  },
  {
    what: "a redirect",
    answer: () => ({ kind: "raw", status: 307, body: "", headers: { location: "https://elsewhere.example/v1" } }),
    reason: "bad_request",
    status: 307,
    says: "a redirect",
  },
  {
    what: "a connection closed before the answer",
    answer: () => ({ kind: "drop" }),
    reason: "connection",
    status: null,
    says: "could not be reached: other side closed",
  },
  {
    what: "a connection dropped halfway through the body",
    answer: () => ({ kind: "drop-mid-body", status: 200, body: JSON.stringify({ content: [], padding: "x".repeat(4_000) }) }),
    reason: "connection",
    status: null,
    says: "halfway through its answer: other side closed",
  },
  {
    what: "an answer slower than the timeout",
    answer: () => ({ kind: "slow", delayMs: 4_000, then: late }),
    reason: "timeout",
    status: null,
    says: "gave no answer within 1000 ms",
  },
  {
    what: "a 200 whose body is not JSON",
    answer: () => ({ kind: "raw", status: 200, body: "<html>captive portal</html>" }),
    reason: "malformed",
    status: 200,
    says: "not JSON: <html>captive portal</html>",
  },
  {
    what: "a 200 with an empty body",
    answer: () => ({ kind: "raw", status: 200, body: "" }),
    reason: "malformed",
    status: 200,
    says: "not JSON (an empty one)",
  },
  {
    what: "a 200 of another shape",
    answer: () => ({ kind: "json", status: 200, body: { result: "hi" } }),
    reason: "malformed",
    status: 200,
    says: "not of its API's shape",
  },
];

/** What a server sends once the client has given up. */
const late: FakeAnswer = { kind: "json", status: 200, body: {} };

describe.each([
  {
    provider: "anthropic",
    server: () => apis.anthropic,
    make: () => anthropic(1_000),
    key: anthropicKey,
    error: (status: number, message: string) => anthropicError(status, "api_error", message),
  },
  { provider: "openai", server: () => apis.openAI, make: () => openAI({ timeoutMs: 1_000 }), key: openAIKey, error: openAIError },
])("the $provider provider's failures", ({ provider, server, make, key, error: errorAnswer }) => {
  it.each(failures)("sorts $what as $reason", async ({ answer, reason, status, says }) => {
    server().answer(answer({ key, error: errorAnswer }));
    const error = await providerError(make().call(bare, new AbortController().signal));
    expect([error.reason, error.status]).toEqual([reason, status]);
    expect(error.message.startsWith(`${provider} `)).toBe(true);
    if (says !== undefined) expect(error.message).toContain(says);
    expect(error.message).not.toContain(key);
    expect(error.failover).toBe(["rate_limited", "server_error", "timeout", "connection", "malformed"].includes(reason));
  });

  it("sorts a refused connection as a connection failure", async () => {
    const url = await closedPortUrl();
    const refused: Provider =
      provider === "anthropic"
        ? new AnthropicProvider("anthropic", { baseUrl: url, apiKeyEnv: anthropicKeyEnv, timeoutMs: 2_000 })
        : new OpenAIProvider("openai", { baseUrl: url, apiKeyEnv: openAIKeyEnv, timeoutMs: 2_000, maxTokensField: "max_tokens" });
    const error = await providerError(refused.call(bare, new AbortController().signal));
    expect(error.reason).toBe("connection");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("throws the caller's abort reason, not a provider error, when the caller aborts", async () => {
    server().answer({ kind: "slow", delayMs: 4_000, then: late });
    const controller = new AbortController();
    const reason = new Error("the run was cancelled");
    setTimeout(() => controller.abort(reason), 50);
    await expect(make().call(bare, controller.signal)).rejects.toBe(reason);
  });
});

/** A loopback URL nothing listens on: a port taken and let go again. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

describe("the provider set", () => {
  const scripted =
    (made: string[]) =>
    (name: string, settings: ScriptedSettings): Provider => {
      made.push(`${name}:${settings.file}`);
      return {
        name,
        call: async () => ({
          content: [{ type: "text", text: `from ${settings.file}` }],
          stop: "end",
          usage: { input: 0, output: 0 },
        }),
      };
    };

  it("resolves the built-in providers, splitting the model id at its first colon", () => {
    const set = new ProviderSet(ModelSettings.parse({}), scripted([]));
    const claude = set.resolve("anthropic:claude-opus-4-7");
    expect(claude.provider).toBeInstanceOf(AnthropicProvider);
    expect([claude.provider.name, claude.model]).toEqual(["anthropic", "claude-opus-4-7"]);
    const gpt = set.resolve("openai:gpt-5:latest");
    expect(gpt.provider).toBeInstanceOf(OpenAIProvider);
    expect(gpt.model).toBe("gpt-5:latest");
    expect(set.resolve("anthropic:claude-haiku-4-5").provider).toBe(claude.provider);
  });

  it("calls a configured provider at its baseUrl, and one of a built-in's name replaces the built-in", async () => {
    const settings = ModelSettings.parse({
      providers: {
        anthropic: { api: "anthropic", baseUrl: apis.anthropic.url, apiKeyEnv: anthropicKeyEnv },
        local: { api: "openai", baseUrl: apis.openAI.url, apiKeyEnv: null, maxTokensField: "max_tokens" },
      },
    });
    const set = new ProviderSet(settings, scripted([]));
    apis.anthropic.answer(anthropicText("from the fake"));
    apis.openAI.answer(openAICompletion({ content: "from the local one" }));

    const claude = set.resolve("anthropic:claude-opus-4-7");
    expect((await claude.provider.call({ ...bare, model: claude.model }, new AbortController().signal)).content).toEqual([
      { type: "text", text: "from the fake" },
    ]);
    const qwen = set.resolve("local:qwen3:8b");
    expect((await qwen.provider.call({ ...bare, model: qwen.model }, new AbortController().signal)).content).toEqual([
      { type: "text", text: "from the local one" },
    ]);
    expect(apis.anthropic.requests[0]?.body).toMatchObject({ model: "claude-opus-4-7" });
    expect(apis.openAI.requests[0]?.body).toMatchObject({ model: "qwen3:8b", max_tokens: 1_024 });
    expect(apis.openAI.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("gives each provider its own timeout, or the project's", async () => {
    const settings = ModelSettings.parse({
      timeoutMs: 5_000,
      providers: {
        quick: { api: "openai", baseUrl: apis.openAI.url, apiKeyEnv: null, timeoutMs: 200 },
        patient: { api: "openai", baseUrl: apis.openAI.url, apiKeyEnv: null },
      },
    });
    const set = new ProviderSet(settings, scripted([]));
    apis.openAI.answer(
      { kind: "slow", delayMs: 600, then: openAICompletion({ content: "late" }) },
      { kind: "slow", delayMs: 600, then: openAICompletion({ content: "late" }) },
    );
    const quick = set.resolve("quick:m");
    const error = await providerError(quick.provider.call(bare, new AbortController().signal));
    expect(error.message).toBe("quick gave no answer within 200 ms");
    const patient = set.resolve("patient:m");
    expect((await patient.provider.call(bare, new AbortController().signal)).content).toEqual([{ type: "text", text: "late" }]);
    // A configured OpenAI-compatible provider caps the answer with the field OpenAI takes, unless told otherwise.
    expect(apis.openAI.requests[1]?.body).toMatchObject({ max_completion_tokens: 1_024 });
    expect(apis.openAI.requests[1]?.body).not.toHaveProperty("max_tokens");
  });

  it("makes a scripted provider through the factory it is given, once, and only when a route names it", () => {
    const made: string[] = [];
    const set = new ProviderSet(
      ModelSettings.parse({
        providers: { fixture: { api: "scripted", file: "answers.json" }, unused: { api: "scripted", file: "other.json" } },
      }),
      scripted(made),
    );
    expect(made).toEqual([]);
    const first = set.resolve("fixture:any");
    expect(set.resolve("fixture:other").provider).toBe(first.provider);
    expect(made).toEqual(["fixture:answers.json"]);
  });

  it.each([
    [
      "mistral:large",
      "no provider `mistral` for the model `mistral:large`: add it to `models.providers` in flow.config.json (the built-in ones are anthropic and openai)",
    ],
    [
      "constructor:x",
      "no provider `constructor` for the model `constructor:x`: add it to `models.providers` in flow.config.json (the built-in ones are anthropic and openai)",
    ],
    ["claude-opus-4-7", "`claude-opus-4-7` is not a model id: write it `provider:model`, as in `anthropic:claude-sonnet-4-5`"],
    ["anthropic:", "`anthropic:` is not a model id: write it `provider:model`, as in `anthropic:claude-sonnet-4-5`"],
  ])("refuses %s as not configured", (id, message) => {
    const set = new ProviderSet(ModelSettings.parse({}), scripted([]));
    let error: unknown;
    try {
      set.resolve(id);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect([(error as ProviderError).reason, (error as ProviderError).message]).toEqual(["not_configured", message]);
  });
});
