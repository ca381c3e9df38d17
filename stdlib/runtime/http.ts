import { formatDuration } from "../../compiler/cost.ts";
import type { Json } from "../../interpreter/ledger/entry.ts";
import * as arg from "./arguments.ts";
import { step } from "./define.ts";
import { type Implementation, StdFailure, type StepContext } from "./implementation.ts";
import { jsonOrNull } from "./json-or-null.ts";

/**
 * std/http (stdlib/http.flow): requests with Node's fetch, from this
 * process (not through the sandbox session: the `net` effect is what the
 * checker and an isolating driver govern). Recorded `{status, body}`; the
 * body also sees `json`, the body parsed, or null. Any status is a result;
 * no complete answer within the timeout is `Timeout`; a connection that
 * fails (refused, reset, no such host) is `Transient`. Bodies are read as
 * UTF-8, at most `responseLimitBytes` of them.
 */

/** The declarations' `wall: 30s`: what the budget analysis counted for one call. */
export const requestTimeoutMs = 30_000;

/** A response is journaled: one larger than this (10 MiB) fails rather than fill the ledger. */
export const responseLimitBytes = 10 * 1024 * 1024;

/** The steps with another timeout: for tests, which cannot wait 30 seconds for a server that never answers. */
export function httpSteps(timeoutMs: number): Readonly<Record<string, Implementation>> {
  return {
    // GET is safe in HTTP's sense: running it again changes nothing.
    "http.get": step({ idempotent: true, run: (context, args) => request(context, timeoutMs, "GET", arg.string(args, "url"), null), value: responseValue }),
    // Exactly once against a server that honours `Idempotency-Key` (the request carries the step's journal id): a re-run
    // after a crash is recognised as the same request. Against one that does not, a crash at the wrong moment posts twice.
    "http.post": step({
      idempotent: true,
      run: (context, args) => request(context, timeoutMs, "POST", arg.string(args, "url"), arg.string(args, "body")),
      value: responseValue,
    }),
  };
}

export const httpImplementations = httpSteps(requestTimeoutMs);

function responseValue(recorded: Json): Json {
  const response = arg.recordOf(recorded, "the recorded response");
  const body = arg.string(response, "body");
  return { status: arg.int(response, "status"), body, json: jsonOrNull(body) };
}

async function request(context: StepContext, timeoutMs: number, method: "GET" | "POST", url: string, body: string | null): Promise<Json> {
  const target = httpUrl(url);
  const timeout = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = {};
  if (body !== null) {
    headers["idempotency-key"] = context.stepId;
    // The declaration has no headers: a body that is JSON is sent as JSON, which is what an API taking JSON checks for.
    headers["content-type"] = isJson(body) ? "application/json" : "text/plain; charset=utf-8";
  }
  try {
    const response = await fetch(target, { method, headers, body, signal: AbortSignal.any([context.signal, timeout]) });
    return { status: response.status, body: await bodyText(response, `${method} ${url}`) };
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    if (error instanceof StdFailure) throw error;
    if (timeout.aborted) throw new StdFailure("Timeout", `${method} ${url} got no complete answer within ${formatDuration(timeoutMs)}`);
    // fetch reports a network failure as a TypeError whose cause is the system's error.
    if (error instanceof TypeError && error.cause instanceof Error) throw new StdFailure("Transient", `${method} ${url} failed: ${error.cause.message}`);
    throw error;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function httpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StdFailure("Failed", `\`${url}\` is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new StdFailure("Failed", `\`${url}\` is not an http or https URL`);
  return parsed;
}

async function bodyText(response: Response, request: string): Promise<string> {
  if (response.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    // Leaving the loop cancels the stream, so the rest is not downloaded.
    if (size > responseLimitBytes) throw new StdFailure("Failed", `${request}: the response is larger than ${responseLimitBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
