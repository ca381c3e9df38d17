import { z } from "zod";
import { ModelReply, type Usage } from "./conversation.ts";
import { TriedModel } from "./provider.ts";

/**
 * A model call as the journal records it (the result of a `step.completed`
 * of the op `modelOp`): which model of the route answered, the ones tried
 * before it and why they gave no answer, the answer, and what it cost in
 * dollars at the IR's prices (null when the model has no price).
 */
export const ModelAnswer = z.strictObject({
  model: z.string(),
  tried: z.array(TriedModel),
  reply: ModelReply,
  usd: z.number().nonnegative().nullable(),
});
export type ModelAnswer = z.infer<typeof ModelAnswer>;

/** The op a model call is journaled as: not a std step, the agent loop's own. */
export const modelOp = "flow/agent:model@1";

/** Dollars for `usage` at a price per million tokens; null without a price. */
export function usdOf(usage: Usage, price: { readonly input: number; readonly output: number } | null): number | null {
  if (price === null) return null;
  return (usage.input * price.input + usage.output * price.output) / 1e6;
}
