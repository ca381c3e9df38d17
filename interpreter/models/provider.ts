import { z } from "zod";
import type { ModelReply, ModelRequest } from "./conversation.ts";

/**
 * A model provider behind one interface: Anthropic's Messages API,
 * OpenAI-compatible Chat Completions, or the scripted fixtures. `call`
 * answers one request or throws a `ProviderError` saying why not.
 */
export interface Provider {
  /** The provider's name in the project's configuration (`anthropic`, `local`, …): a route's `provider:` prefix. */
  readonly name: string;
  call(request: ModelRequest, signal: AbortSignal): Promise<ModelReply>;
}

/**
 * Why a call gave no answer. The first five move a route on to its next
 * model (the failure may be this model's or this moment's); the rest are
 * raised at once, because the next model would meet them too (a bad key,
 * a request the API refuses).
 */
export const FailoverReason = z.enum(["rate_limited", "server_error", "timeout", "connection", "malformed"]);
export type FailoverReason = z.infer<typeof FailoverReason>;

export const FatalReason = z.enum(["auth", "bad_request", "not_configured", "not_scripted"]);
export type FatalReason = z.infer<typeof FatalReason>;

export class ProviderError extends Error {
  constructor(
    readonly reason: FailoverReason | FatalReason,
    message: string,
    /** The HTTP status, when an answer came. */
    readonly status: number | null = null,
    /** What `retry-after` asked for, in ms, on a 429. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "ProviderError";
  }

  get failover(): boolean {
    return FailoverReason.safeParse(this.reason).success;
  }
}

/** One model of a route that gave no answer, as the ledger records it. */
export const TriedModel = z.strictObject({
  model: z.string(),
  reason: FailoverReason,
  status: z.int().nullable(),
  message: z.string(),
  /** How long the route waited on this model's `retry-after` before trying it again (then it is listed twice). */
  waitedMs: z.int().nonnegative(),
});
export type TriedModel = z.infer<typeof TriedModel>;
