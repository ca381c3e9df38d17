import { z } from "zod";
import type { Json } from "../ledger/entry.ts";
import type { Message, ModelReply, ModelRequest, TextBlock, ToolDefinition } from "./conversation.ts";
import { endpointUrl, type HttpEndpoint, postJson, readApiKey } from "./http-exchange.ts";
import type { ProviderSettings } from "./model-settings.ts";
import { type Provider, ProviderError } from "./provider.ts";

type OpenAISettings = Extract<ProviderSettings, { api: "openai" }>;

/**
 * OpenAI-compatible Chat Completions (`POST {baseUrl}/chat/completions`):
 * OpenAI itself, and the local servers that speak it (llama.cpp, vLLM,
 * Ollama). Only what they all share is sent, so one translation serves
 * them all.
 */
export class OpenAIProvider implements Provider {
  constructor(
    readonly name: string,
    private readonly endpoint: HttpEndpoint & Pick<OpenAISettings, "maxTokensField">,
  ) {}

  async call(request: ModelRequest, signal: AbortSignal): Promise<ModelReply> {
    const { apiKeyEnv } = this.endpoint;
    const key = apiKeyEnv === null ? null : readApiKey(this.name, apiKeyEnv);
    const answer = await postJson(
      {
        provider: this.name,
        url: endpointUrl(this.endpoint.baseUrl, "/chat/completions"),
        headers: { "content-type": "application/json", ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
        body: openAIRequest(request, this.endpoint.maxTokensField),
        timeoutMs: this.endpoint.timeoutMs,
        secret: key,
      },
      OpenAIAnswer,
      signal,
    );
    return modelReply(this.name, answer);
  }
}

/** The request body. Fields are written in one order so the same request is the same bytes. */
function openAIRequest(request: ModelRequest, maxTokensField: OpenAISettings["maxTokensField"]): Record<string, Json> {
  return {
    model: request.model,
    messages: [
      ...(request.system === "" ? [] : [{ role: "system", content: request.system }]),
      ...request.messages.flatMap(wireMessages),
    ],
    // Servers refuse a tool_choice without tools.
    ...(request.tools.length === 0
      ? {}
      : { tools: request.tools.map(wireTool), tool_choice: request.toolChoice === "any" ? "required" : "auto" }),
    [maxTokensField]: request.maxTokens,
  };
}

/**
 * One conversation message as Chat Completions messages. A user turn's tool
 * results become `tool` messages, which must directly follow the assistant
 * message that called the tools, so they come before the turn's text.
 */
function wireMessages(message: Message): Json[] {
  switch (message.role) {
    case "user": {
      const texts = message.content.filter((block) => block.type === "text");
      const results = message.content.filter((block) => block.type === "tool_result");
      return [
        ...results.map((result) => ({
          role: "tool",
          tool_call_id: result.toolUseId,
          // Chat Completions has no error flag on a tool's result: the model is told in words.
          content: result.isError ? `error: ${result.content}` : result.content,
        })),
        ...(texts.length === 0 ? [] : [{ role: "user", content: textContent(texts) }]),
      ];
    }
    case "assistant": {
      const texts = message.content.filter((block) => block.type === "text");
      const calls = message.content.filter((block) => block.type === "tool_use");
      return [
        {
          role: "assistant",
          // Content may be null only beside tool calls.
          content: texts.length > 0 ? textContent(texts) : calls.length > 0 ? null : "",
          ...(calls.length === 0
            ? {}
            : {
                tool_calls: calls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: JSON.stringify(call.input) },
                })),
              }),
        },
      ];
    }
  }
}

/** One text block as a plain string, which every compatible server takes; several as content parts, so none is merged into another. */
function textContent(texts: readonly TextBlock[]): Json {
  const [only] = texts;
  if (texts.length === 1 && only !== undefined) return only.text;
  return texts.map((block) => ({ type: "text", text: block.text }));
}

function wireTool(tool: ToolDefinition): Json {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.inputSchema } };
}

/** What the API answers, as far as flow reads it; `type: "function"` on a call is not required, as some local servers leave it out. */
const OpenAIAnswer = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({
          content: z.string().nullish(),
          tool_calls: z
            .array(z.looseObject({ id: z.string(), function: z.looseObject({ name: z.string(), arguments: z.string() }) }))
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.looseObject({ prompt_tokens: z.int().nonnegative(), completion_tokens: z.int().nonnegative() }),
});
type OpenAIAnswer = z.infer<typeof OpenAIAnswer>;

function modelReply(provider: string, answer: OpenAIAnswer): ModelReply {
  // Only one choice is asked for (n defaults to 1); the schema checked there is at least one.
  const choice = answer.choices[0]!;
  const { content: text, tool_calls: calls } = choice.message;
  const content: ModelReply["content"] = [];
  if (text !== null && text !== undefined && text !== "") content.push({ type: "text", text });
  for (const call of calls ?? []) {
    content.push({
      type: "tool_use",
      id: call.id,
      name: call.function.name,
      input: toolInput(provider, call.function.name, call.function.arguments),
    });
  }
  return {
    content,
    stop: stopReason(choice.finish_reason ?? null, (calls ?? []).length > 0),
    usage: { input: answer.usage.prompt_tokens, output: answer.usage.completion_tokens },
  };
}

/** A call's arguments arrive as a JSON string the model wrote; one that does not parse is an answer flow cannot use. */
function toolInput(provider: string, tool: string, text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new ProviderError(
      "malformed",
      `${provider} answered 200 with a call of the tool \`${tool}\` whose arguments are not JSON`,
      200,
    );
  }
}

function stopReason(finish: string | null, calledTools: boolean): ModelReply["stop"] {
  switch (finish) {
    case "stop":
      // Some local servers say `stop` after calling tools.
      return calledTools ? "tool_use" : "end";
    case "tool_calls":
      return "tool_use";
    case "length":
      return "max_tokens";
    default:
      // content_filter, the legacy function_call (flow sends no functions), and kinds still to come.
      return "other";
  }
}
