import { setTimeout as wait } from "node:timers/promises";
import type { DeliveryAttempt, DeliveryRecord } from "../ledger/entry.ts";

/**
 * Delivers a notification: POSTs a JSON body to a webhook, retrying what
 * may pass (no connection, no answer in time, a 5xx, a 429) with
 * exponential backoff, and giving up at once on what will not (any other
 * 4xx: a revoked hook, a refused body). A notification is a courtesy, not
 * part of the run: delivery problems are recorded, never thrown.
 *
 * At least once, not exactly once: a receiver that took the body but did
 * not answer within the timeout gets it again on the retry (Slack's
 * incoming webhooks take no idempotency key).
 *
 * The URL is never recorded: a Slack webhook URL is a secret (whoever has
 * it can post to the channel), and the record is meant for the ledger.
 */

export interface DeliveryOptions {
  /** How many POSTs at most, the first included. */
  readonly attempts: number;
  /** The wait after the first failure; each further one doubles it. */
  readonly backoffMs: number;
  /** How long each POST may take, answer included. */
  readonly timeoutMs: number;
  /** No wait is longer than this, whatever the backoff or a `Retry-After` asks (default a minute): the run's process waits for the delivery before it lets go. */
  readonly maxWaitMs?: number;
  /** Waits between attempts; tests record the waits instead. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The time each attempt is recorded with, in ms since the epoch. */
  readonly clock: () => number;
}

const defaultMaxWaitMs = 60_000;

/** How much of a refusing answer's body is kept: Slack says why in a word (`invalid_payload`, `no_service`). */
const reasonChars = 200;

/** The webhook URL, checked: anything but an absolute http or https URL is a configuration error, thrown before any attempt. */
export function webhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL itself is not repeated: it may be a secret.
    throw new Error("the webhook URL is not a URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`the webhook URL must be http: or https:, not ${parsed.protocol}`);
  // fetch refuses a URL with credentials in it; better said now than recorded as every attempt's failure.
  if (parsed.username !== "" || parsed.password !== "") throw new Error("the webhook URL must not carry credentials (user:password@)");
  return parsed;
}

export async function deliver(url: string, body: unknown, options: DeliveryOptions): Promise<DeliveryRecord> {
  const target = webhookUrl(url);
  const { attempts, backoffMs, timeoutMs, clock } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, not ${attempts}`);
  if (!(backoffMs >= 0) || !(timeoutMs > 0)) throw new RangeError("backoffMs must be 0 or more and timeoutMs more than 0");
  const json = JSON.stringify(body);
  if (json === undefined) throw new TypeError("the notification body is not JSON");
  const sleep = options.sleep ?? ((ms: number) => wait(ms));
  const maxWaitMs = options.maxWaitMs ?? defaultMaxWaitMs;

  const record: DeliveryAttempt[] = [];
  for (let n = 1; ; n++) {
    const at = clock();
    const outcome = await post(target, json, timeoutMs);
    record.push({ at, status: outcome.status, error: outcome.error, ms: Math.max(0, clock() - at) });
    if (outcome.kind === "delivered") return { delivered: true, attempts: record };
    if (outcome.kind === "refused" || n === attempts) return { delivered: false, attempts: record };
    await sleep(Math.min(maxWaitMs, Math.max(backoffMs * 2 ** (n - 1), outcome.retryAfterMs ?? 0)));
  }
}

/** What one POST came to: delivered; refused for good (a 4xx, a redirect); or worth trying again. */
type Outcome =
  | { readonly kind: "delivered"; readonly status: number; readonly error: null }
  | { readonly kind: "refused"; readonly status: number; readonly error: string }
  | { readonly kind: "retry"; readonly status: number | null; readonly error: string; readonly retryAfterMs: number | null };

async function post(target: URL, json: string, timeoutMs: number): Promise<Outcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    // Redirects are not followed: fetch would turn the POST into a GET, and a hook that moved is a configuration to fix.
    const response = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: json, redirect: "manual", signal: timeout });
    const { status } = response;
    if (status >= 200 && status < 300) {
      // The answer's body is not needed; cancelling it frees the connection.
      await response.body?.cancel().catch(() => undefined);
      return { kind: "delivered", status, error: null };
    }
    if (status >= 300 && status < 400) {
      await response.body?.cancel().catch(() => undefined);
      return { kind: "refused", status, error: `HTTP ${status}: redirects${redirectOrigin(response)}` };
    }
    const error = `HTTP ${status}${await reason(response)}`;
    if (status === 429 || status >= 500) return { kind: "retry", status, error, retryAfterMs: retryAfter(response) };
    return { kind: "refused", status, error };
  } catch (error) {
    if (timeout.aborted) return { kind: "retry", status: null, error: `no answer within ${timeoutMs} ms`, retryAfterMs: null };
    return { kind: "retry", status: null, error: networkError(error), retryAfterMs: null };
  }
}

/** fetch reports a network failure as a TypeError("fetch failed") whose cause is the system's error (ECONNREFUSED, ENOTFOUND). */
function networkError(error: unknown): string {
  if (error instanceof Error && error.cause instanceof Error) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Only the origin of where it points: enough to see `http:` went to `https:`, without copying a path that may be a secret. */
function redirectOrigin(response: Response): string {
  const location = response.headers.get("location");
  if (location === null) return "";
  try {
    return ` to ${new URL(location, response.url || undefined).origin}`;
  } catch {
    return "";
  }
}

/** `Retry-After` in seconds (RFC 9110 also allows an HTTP date, which webhooks in practice do not send; it is ignored). */
function retryAfter(response: Response): number | null {
  const header = response.headers.get("retry-after")?.trim();
  if (header === undefined || !/^\d+(\.\d+)?$/.test(header)) return null;
  return Number(header) * 1_000;
}

/** The start of a refusing answer's body, on one line; nothing if it cannot be read in time. */
async function reason(response: Response): Promise<string> {
  let text: string;
  try {
    text = await readStart(response, reasonChars * 4);
  } catch {
    return "";
  }
  const line = text.replace(/\s+/g, " ").trim();
  if (line === "") return "";
  return `: ${line.length > reasonChars ? `${line.slice(0, reasonChars)}…` : line}`;
}

/** At most `bytes` of the body: an endpoint that answers an error with megabytes is not read to its end. */
async function readStart(response: Response, bytes: number): Promise<string> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk);
    size += chunk.length;
    // Leaving the loop cancels the stream.
    if (size >= bytes) break;
  }
  return Buffer.concat(chunks).subarray(0, bytes).toString("utf8");
}
