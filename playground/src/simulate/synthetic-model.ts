import type { JsonSchema } from "../../../compiler/ir/json-schema.ts";
import { canonicalJson } from "../../../compiler/ir/hash.ts";
import type { Route } from "../../../compiler/ir/unit.ts";
import type { ModelCall } from "../../../interpreter/core/agent-run.ts";
import type { Json } from "../../../interpreter/ledger/entry.ts";
import type { ModelReply } from "../../../interpreter/models/conversation.ts";
import { type ModelAnswer, usdOf } from "../../../interpreter/models/model-answer.ts";
import { resultToolName } from "../../../interpreter/models/result-tool.ts";
import { syntheticValue, type Types } from "./synthetic-value.ts";

/** How long a simulated model takes to answer, in simulated ms. */
export const modelCallMs = 5_000;

/**
 * The simulated model: it answers every turn at once by calling `finish`
 * with a value made up from the tool's input schema (the agent's declared
 * result type), seeded by the call's journal id, and calls none of the
 * agent's other tools. The first model of the route answers. Usage is
 * counted as the scripted provider counts it without a script's figures
 * (a quarter of the request's and the reply's characters), and priced at
 * the IR's prices, as a real answer is: tokens and dollars are spent
 * against the agent's and the run's budgets as they would be.
 */
export function syntheticAnswer(call: ModelCall, routes: readonly Route[], types: Types, seed: string): ModelAnswer {
  const model = call.models[0] ?? "simulated";
  const finish = call.request.tools.find((t) => t.name === resultToolName);
  const schema = (finish?.inputSchema ?? {}) as JsonSchema & { readonly $defs?: Types };
  const input = syntheticValue(schema, { ...types, ...schema.$defs }, seed);
  const content: ModelReply["content"] = [
    { type: "tool_use", id: `simulated-${call.request.caller.turn}-finish`, name: resultToolName, input },
  ];
  const asked = canonicalJson({
    system: call.request.system,
    messages: call.request.messages,
    tools: call.request.tools,
  } as unknown as Json);
  const usage = {
    input: Math.ceil(asked.length / 4),
    output: Math.min(Math.ceil(canonicalJson(content as unknown as Json).length / 4), call.request.maxTokens),
  };
  const price = routes.flatMap((r) => r.models).find((m) => m.id === model)?.price ?? null;
  return { model, tried: [], reply: { content, stop: "tool_use", usage }, usd: usdOf(usage, price) };
}
