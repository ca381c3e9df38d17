import { z } from "zod";
import { Json } from "../ledger/entry.ts";

/**
 * A conversation with a model in one form for every provider. Each
 * provider translates it to its wire format and its answer back; the agent
 * loop (core/agent-run.ts) builds requests from the journal, so the same
 * journal always gives the same request, byte for byte.
 */

export const TextBlock = z.strictObject({ type: z.literal("text"), text: z.string() });
export type TextBlock = z.infer<typeof TextBlock>;

/** The model asks for a tool: its provider's id for the call, the tool's name, and the input it gave. */
export const ToolUseBlock = z.strictObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: Json });
export type ToolUseBlock = z.infer<typeof ToolUseBlock>;

/** What a tool call gave back, as text; `isError` when the call failed or its input was refused. */
export const ToolResultBlock = z.strictObject({ type: z.literal("tool_result"), toolUseId: z.string(), content: z.string(), isError: z.boolean() });
export type ToolResultBlock = z.infer<typeof ToolResultBlock>;

export const UserMessage = z.strictObject({ role: z.literal("user"), content: z.array(z.union([TextBlock, ToolResultBlock])).min(1) });
export const AssistantMessage = z.strictObject({ role: z.literal("assistant"), content: z.array(z.union([TextBlock, ToolUseBlock])) });
export const Message = z.discriminatedUnion("role", [UserMessage, AssistantMessage]);
export type Message = z.infer<typeof Message>;

/** A tool the model may call: `inputSchema` is a JSON Schema (2020-12) of `"type": "object"`. */
export const ToolDefinition = z.strictObject({ name: z.string(), description: z.string(), inputSchema: Json });
export type ToolDefinition = z.infer<typeof ToolDefinition>;

/**
 * One request to one model. `model` is the provider's own name for it (the
 * part of a route's `provider:model` id after the colon). `toolChoice`
 * `"any"` obliges the model to call some tool (the agent loop finishes
 * through a tool, so it always sends `"any"` when the model must answer).
 */
export interface ModelRequest {
  readonly model: string;
  readonly system: string;
  readonly messages: readonly Message[];
  readonly tools: readonly ToolDefinition[];
  readonly toolChoice: "auto" | "any";
  readonly maxTokens: number;
  /** Who asks, for providers that answer by it (the scripted one); never sent over the wire. */
  readonly caller: { readonly agent: string; readonly turn: number; readonly requestHash: string };
}

/** Why the model stopped: it finished, it called tools, it ran out of `maxTokens`, or anything else a provider says. */
export const StopReason = z.enum(["end", "tool_use", "max_tokens", "other"]);

/** Tokens the provider counted for one request, from its usage fields. */
export const Usage = z.strictObject({ input: z.int().nonnegative(), output: z.int().nonnegative() });
export type Usage = z.infer<typeof Usage>;

export const ModelReply = z.strictObject({
  content: z.array(z.union([TextBlock, ToolUseBlock])),
  stop: StopReason,
  usage: Usage,
});
export type ModelReply = z.infer<typeof ModelReply>;
