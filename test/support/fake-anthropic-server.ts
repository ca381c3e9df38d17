import { type FakeAnswer, FakeModelServer } from "./fake-model-server.ts";

/**
 * Anthropic's Messages API on loopback (`POST /v1/messages`): a
 * FakeModelServer whose `url` is a provider's `baseUrl`, and the answers
 * the API gives, in its wire format.
 */
export function startFakeAnthropic(): Promise<FakeModelServer> {
  return FakeModelServer.start("/v1/messages");
}

export type AnthropicWireBlock = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown };

export interface AnthropicUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
}

/** A 200 with a message: its content blocks, its `stop_reason` (by default `tool_use` when it calls a tool, else `end_turn`) and usage. */
export function anthropicMessage(
  content: readonly AnthropicWireBlock[],
  options: { readonly stop?: string; readonly usage?: AnthropicUsage } = {},
): FakeAnswer {
  const stop = options.stop ?? (content.some((block) => block.type === "tool_use") ? "tool_use" : "end_turn");
  return {
    kind: "json",
    status: 200,
    body: {
      id: "msg_01FakeFakeFake",
      type: "message",
      role: "assistant",
      model: "claude-fake",
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: options.usage ?? { input_tokens: 10, output_tokens: 5 },
    },
  };
}

/** A 200 with one text block. */
export function anthropicText(text: string, usage?: AnthropicUsage): FakeAnswer {
  return anthropicMessage([{ type: "text", text }], usage === undefined ? {} : { usage });
}

/** An error answer as the API writes it: `{type: "error", error: {type, message}}`. */
export function anthropicError(
  status: number,
  type: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): FakeAnswer {
  return { kind: "json", status, headers, body: { type: "error", error: { type, message }, request_id: "req_fake" } };
}

/** A 429, with `retry-after` in seconds when given. */
export function anthropicRateLimited(retryAfterSeconds?: string): FakeAnswer {
  const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { "retry-after": retryAfterSeconds };
  return anthropicError(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", headers);
}

/** A 529: the API is overloaded for everyone. */
export function anthropicOverloaded(): FakeAnswer {
  return anthropicError(529, "overloaded_error", "Overloaded");
}
