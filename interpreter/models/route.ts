import { setTimeout as wait } from "node:timers/promises";
import type { ModelReply, ModelRequest } from "./conversation.ts";
import { type FailoverReason, ProviderError, type TriedModel } from "./provider.ts";
import type { ModelResolver, ResolvedModel } from "./provider-set.ts";

/**
 * A model route: an ordered list of `provider:model` ids, tried in turn
 * until one answers. What may pass (a 429, a 5xx, a timeout, a dropped
 * connection, an answer that does not parse) moves on to the next model;
 * what the next model would meet too (a bad key, a refused request, a
 * provider not configured) stops the route at once.
 *
 * What the route decides depends only on the answers it gets, never on
 * the clock, so the `tried` list it records is the same whenever the same
 * answers come (a `retry-after` given as an HTTP date is the exception the
 * header forces: it is read against the clock).
 */

export interface RouteOptions {
  /** The longest `retry-after` worth waiting for before trying a rate-limited model once more; longer, the route moves on. */
  readonly maxRetryAfterMs: number;
  /** Aborts the call in flight or the wait; the abort's reason is thrown as it is. */
  readonly signal: AbortSignal;
  /** Waits out a `retry-after`, rejecting when `signal` aborts; tests pass one that records instead. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RouteAnswer {
  /** The id of the model that answered, as the route names it (`anthropic:claude-sonnet-4-5`). */
  readonly model: string;
  readonly reply: ModelReply;
  /** The models that gave no answer before it, in order. */
  readonly tried: readonly TriedModel[];
}

/**
 * The failure kind the ledger records for a route that gave no answer:
 * after the last try's reason, or `Failed` for one that cannot pass by
 * waiting (std's failure kinds, which a workflow's `retry` matches on).
 */
export type RouteFailureKind = "RateLimited" | "Timeout" | "Transient" | "Failed";

/** No model of the route answered. `cause` is the last `ProviderError`. */
export class RouteFailed extends Error {
  constructor(
    readonly kind: RouteFailureKind,
    /** Every failover the route went through, as `RouteAnswer.tried`. */
    readonly tried: readonly TriedModel[],
    message: string,
    cause: ProviderError,
  ) {
    super(message, { cause });
    this.name = "RouteFailed";
  }
}

export async function callRoute(
  models: readonly string[],
  request: Omit<ModelRequest, "model">,
  providers: ModelResolver,
  options: RouteOptions,
): Promise<RouteAnswer> {
  const { signal, maxRetryAfterMs } = options;
  const sleep = options.sleep ?? abortableSleep;
  const targets = resolveAll(models, providers);
  const tried: TriedModel[] = [];
  let last: { readonly error: ProviderError; readonly reason: FailoverReason } | null = null;
  for (const { id, provider, model } of targets) {
    // A model is asked at most twice: once more after waiting out a short retry-after.
    for (let retried = false; ; retried = true) {
      signal.throwIfAborted();
      try {
        const reply = await provider.call({ ...request, model }, signal);
        return { model: id, reply, tried };
      } catch (error) {
        // An abort, or a provider's bug, is not a model's failure: it goes up as it is.
        if (!(error instanceof ProviderError)) throw error;
        const reason = failoverReason(error);
        if (reason === null) throw new RouteFailed("Failed", tried, fatalMessage(id, error, tried), error);
        last = { error, reason };
        const waitMs =
          !retried && reason === "rate_limited" && error.retryAfterMs !== null && error.retryAfterMs <= maxRetryAfterMs
            ? error.retryAfterMs
            : null;
        // The wait recorded is the one asked for, not one measured: the same answers give the same record.
        tried.push({ model: id, reason, status: error.status, message: error.message, waitedMs: waitMs ?? 0 });
        if (waitMs === null) break;
        await sleep(waitMs, signal);
      }
    }
  }
  if (last === null) throw new RangeError("a route names at least one model");
  throw new RouteFailed(failureKind(last.reason), tried, `every model of the route failed: ${triedList(tried)}`, last.error);
}

/**
 * Every model id resolved before the first call: a route naming a provider
 * that is not configured fails the same way whether or not the models
 * before it answer.
 */
function resolveAll(models: readonly string[], providers: ModelResolver): (ResolvedModel & { readonly id: string })[] {
  return models.map((id) => {
    try {
      return { id, ...providers.resolve(id) };
    } catch (error) {
      if (error instanceof ProviderError) throw new RouteFailed("Failed", [], error.message, error);
      throw error;
    }
  });
}

/** The reason when it moves the route on; null when it stops it. */
function failoverReason(error: ProviderError): FailoverReason | null {
  const { reason } = error;
  switch (reason) {
    case "rate_limited":
    case "server_error":
    case "timeout":
    case "connection":
    case "malformed":
      return reason;
    case "auth":
    case "bad_request":
    case "not_configured":
    case "not_scripted":
      return null;
  }
}

function failureKind(reason: FailoverReason): RouteFailureKind {
  switch (reason) {
    case "rate_limited":
      return "RateLimited";
    case "timeout":
      return "Timeout";
    case "server_error":
    case "connection":
    case "malformed":
      return "Transient";
  }
}

const reasonWords: Readonly<Record<ProviderError["reason"], string>> = {
  rate_limited: "rate limited",
  server_error: "server error",
  timeout: "timed out",
  connection: "connection failed",
  malformed: "malformed answer",
  auth: "refused the API key",
  bad_request: "refused the request",
  not_configured: "not configured",
  not_scripted: "no scripted answer",
};

function label(reason: ProviderError["reason"], status: number | null): string {
  return status === null ? reasonWords[reason] : `${status} ${reasonWords[reason]}`;
}

/** `anthropic:claude-opus-4-7 (429 rate limited, retried after 200 ms), openai:gpt-5 (500 server error)` */
function triedList(tried: readonly TriedModel[]): string {
  return tried
    .map(({ model, reason, status, waitedMs }) => {
      const what = label(reason, status);
      return `${model} (${waitedMs > 0 ? `${what}, retried after ${waitedMs} ms` : what})`;
    })
    .join(", ");
}

function fatalMessage(model: string, error: ProviderError, tried: readonly TriedModel[]): string {
  const before = tried.length === 0 ? "" : ` (after ${triedList(tried)})`;
  return `${model} failed (${label(error.reason, error.status)}): ${error.message}${before}`;
}

/** Waits `ms`, or rejects with the signal's own reason when it aborts (as a call in flight does). */
async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await wait(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}
