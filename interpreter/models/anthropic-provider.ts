import { z } from "zod";
import { Json } from "../ledger/entry.ts";
import type { Message, ModelReply, ModelRequest, ToolDefinition } from "./conversation.ts";
import { endpointUrl, type HttpEndpoint, postJson, readApiKey } from "./http-exchange.ts";
import type { Provider } from "./provider.ts";

/**
 * Anthropic's Messages API (`POST {baseUrl}/v1/messages`), one request and
 * its whole answer (no streaming: the agent loop acts on complete turns).
 */
export class AnthropicProvider implements Provider {
  constructor(
    readonly name: string,
    private readonly endpoint: HttpEndpoint & { readonly apiKeyEnv: string },
  ) {}

  async call(request: ModelRequest, signal: AbortSignal): Promise<ModelReply> {
    const key = readApiKey(this.name, this.endpoint.apiKeyEnv);
    const answer = await postJson(
      {
        provider: this.name,
        url: endpointUrl(this.endpoint.baseUrl, "/v1/messages"),
        headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": apiVersion },
        body: anthropicRequest(request),
        timeoutMs: this.endpoint.timeoutMs,
        secret: key,
      },
      AnthropicAnswer,
      signal,
    );
    return modelReply(answer);
  }
}

/** The API version this translation is written against (Anthropic's only one so far). */
const apiVersion = "2023-06-01";

type WireBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Json }
  | { type: "tool_result"; tool_use_id: string; content: string; is_error: boolean };

/** The request body. Fields are written in one order so the same request is the same bytes. */
function anthropicRequest(request: ModelRequest): Record<string, Json> {
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    // The API takes no empty system prompt.
    ...(request.system === "" ? {} : { system: request.system }),
    messages: request.messages.map(wireMessage),
    // The API refuses a tool_choice without tools.
    ...(request.tools.length === 0 ? {} : { tools: request.tools.map(wireTool), tool_choice: { type: request.toolChoice } }),
  };
}

function wireMessage(message: Message): Json {
  return { role: message.role, content: message.content.map(wireBlock) };
}

function wireBlock(block: Message["content"][number]): WireBlock {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text };
    case "tool_use":
      return { type: "tool_use", id: block.id, name: block.name, input: block.input };
    case "tool_result":
      return { type: "tool_result", tool_use_id: block.toolUseId, content: block.content, is_error: block.isError };
  }
}

function wireTool(tool: ToolDefinition): Json {
  return { name: tool.name, description: tool.description, input_schema: tool.inputSchema };
}

const knownBlockTypes = new Set(["text", "tool_use"]);

/** What the API answers, as far as flow reads it (extra fields are allowed: the API adds some over time). */
const AnthropicAnswer = z.looseObject({
  content: z.array(
    z.union([
      z.looseObject({ type: z.literal("text"), text: z.string() }),
      z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: Json }),
      // Kinds flow never asks for (thinking, server tools) carry nothing the agent loop can use: they are left out.
      z.looseObject({ type: z.string().refine((type) => !knownBlockTypes.has(type)) }).transform(() => null),
    ]),
  ),
  stop_reason: z.string().nullable(),
  usage: z.looseObject({
    input_tokens: z.int().nonnegative(),
    output_tokens: z.int().nonnegative(),
    cache_creation_input_tokens: z.int().nonnegative().nullish(),
    cache_read_input_tokens: z.int().nonnegative().nullish(),
  }),
});
type AnthropicAnswer = z.infer<typeof AnthropicAnswer>;

function modelReply(answer: AnthropicAnswer): ModelReply {
  const content: ModelReply["content"] = [];
  for (const block of answer.content) {
    if (block === null) continue;
    if (block.type === "text") content.push({ type: "text", text: block.text });
    else content.push({ type: "tool_use", id: block.id, name: block.name, input: block.input });
  }
  const { usage } = answer;
  return {
    content,
    stop: stopReason(answer.stop_reason),
    // Tokens read from or written to the prompt cache are input tokens too (flow asks for no caching, so they are 0 unless the API caches on its own).
    usage: {
      input: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
      output: usage.output_tokens,
    },
  };
}

function stopReason(stop: string | null): ModelReply["stop"] {
  switch (stop) {
    case "end_turn":
      return "end";
    case "tool_use":
      return "tool_use";
    case "max_tokens":
      return "max_tokens";
    default:
      // stop_sequence (flow sends none), pause_turn, refusal, and kinds still to come.
      return "other";
  }
}
