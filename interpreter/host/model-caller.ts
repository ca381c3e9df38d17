import type { Route } from "../../compiler/ir/unit.ts";
import type { ModelCall } from "../core/agent-run.ts";
import type { Failure } from "../ledger/entry.ts";
import type { ModelRequest } from "../models/conversation.ts";
import { type ModelAnswer, usdOf } from "../models/model-answer.ts";
import type { TriedModel } from "../models/provider.ts";
import { RouteFailed, type RouteAnswer } from "../models/route.ts";

/** Calls the models of a route in order (models/route.ts); throws `RouteFailed`, with the models it tried, when none answers. */
export type CallRoute = (models: readonly string[], request: Omit<ModelRequest, "model">, signal: AbortSignal) => Promise<RouteAnswer>;

export type ModelCallOutcome = { readonly answer: ModelAnswer } | { readonly failure: Failure; readonly tried: readonly TriedModel[] };

/**
 * Makes an agent's model call for its attempt: the route picks the model,
 * and the answer is priced at the IR's prices for that model (the prices
 * the run was planned with, so a replay elsewhere prices it the same).
 */
export class ModelCaller {
  private readonly prices: ReadonlyMap<string, { readonly input: number; readonly output: number } | null>;

  constructor(
    private readonly callRoute: CallRoute,
    routes: readonly Route[],
  ) {
    this.prices = new Map(routes.flatMap((route) => route.models.map((m) => [m.id, m.price] as const)));
  }

  async call(call: ModelCall, signal: AbortSignal): Promise<ModelCallOutcome> {
    try {
      const { model, reply, tried } = await this.callRoute(call.models, call.request, signal);
      return { answer: { model, tried: [...tried], reply, usd: usdOf(reply.usage, this.prices.get(model) ?? null) } };
    } catch (error) {
      if (error instanceof RouteFailed) return { failure: { kind: error.kind, message: error.message }, tried: error.tried };
      return { failure: { kind: "Failed", message: `the model call failed: ${(error as Error).message}` }, tried: [] };
    }
  }
}
