import { type FakeAnswer, FakeModelServer } from "./fake-model-server.ts";

/**
 * OpenAI's Chat Completions on loopback (`POST /v1/chat/completions`): a
 * FakeModelServer whose `url` (ending in `/v1`) is a provider's `baseUrl`,
 * and the answers the API gives, in its wire format.
 */
export function startFakeOpenAI(): Promise<FakeModelServer> {
  return FakeModelServer.start("/v1/chat/completions", "/v1");
}

export interface OpenAIToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments as the model wrote them: a JSON string (or not, to test that). */
  readonly arguments: string;
}

export interface OpenAIUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
}

/** A 200 with one choice: its text, its tool calls, its `finish_reason` (by default `tool_calls` when it calls a tool, else `stop`) and usage. */
export function openAICompletion(reply: {
  readonly content?: string | null;
  readonly toolCalls?: readonly OpenAIToolCall[];
  readonly finish?: string;
  readonly usage?: OpenAIUsage;
}): FakeAnswer {
  const calls = reply.toolCalls ?? [];
  const usage = reply.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
  return {
    kind: "json",
    status: 200,
    body: {
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: 1_763_800_000,
      model: "gpt-fake",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: reply.content ?? null,
            refusal: null,
            ...(calls.length === 0
              ? {}
              : {
                  tool_calls: calls.map((call) => ({
                    id: call.id,
                    type: "function",
                    function: { name: call.name, arguments: call.arguments },
                  })),
                }),
          },
          logprobs: null,
          finish_reason: reply.finish ?? (calls.length > 0 ? "tool_calls" : "stop"),
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** An error answer as the API writes it: `{error: {message, type, param, code}}`. */
export function openAIError(status: number, message: string, headers: Readonly<Record<string, string>> = {}): FakeAnswer {
  return { kind: "json", status, headers, body: { error: { message, type: "invalid_request_error", param: null, code: null } } };
}
