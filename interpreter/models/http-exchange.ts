import type { z } from "zod";
import { ProviderError } from "./provider.ts";

/**
 * One JSON request to a model provider's HTTP API and its answer, with
 * every way it can fail sorted into a `ProviderError` reason: the part the
 * Anthropic and OpenAI-compatible providers share. The route decides from
 * the reason whether to move on, so the sorting is the contract: an answer
 * that may come next time or from another model is a failover reason, a
 * refusal the next model would meet too (a bad key, a request the API
 * rejects) is fatal.
 *
 * API keys are read from the environment at the moment of each call (a
 * key set or rotated while a run waits is used), and no message carries a
 * key: providers' error bodies are quoted only after the key is cut out.
 */

/** Where an HTTP provider is and how long one call to it may take, the project's global timeout already filled in. */
export interface HttpEndpoint {
  readonly baseUrl: string;
  /** The environment variable holding the key; null for a server that takes none. */
  readonly apiKeyEnv: string | null;
  readonly timeoutMs: number;
}

export interface JsonPost {
  /** The provider's name, for messages. */
  readonly provider: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly timeoutMs: number;
  /** The API key sent in `headers`, cut out of any provider text quoted in a message. */
  readonly secret: string | null;
}

/** How much of a provider's error text a message quotes. */
const quotedChars = 300;

/** The API key in `apiKeyEnv`, read now; a missing or empty variable is a configuration error naming the variable. */
export function readApiKey(provider: string, apiKeyEnv: string): string {
  const key = process.env[apiKeyEnv];
  if (key === undefined || key === "") {
    throw new ProviderError(
      "not_configured",
      `the provider \`${provider}\` reads its API key from the environment variable ${apiKeyEnv}, which is not set`,
    );
  }
  return key;
}

/** `{baseUrl}{path}` whether or not the configured base URL ends with a slash. */
export function endpointUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/**
 * POSTs `post.body` as JSON and returns the answer's body checked against
 * `answer`. Resolves only with a 2xx answer of the expected shape; throws a
 * `ProviderError` for every failure of the provider, and the caller's own
 * abort reason (not a ProviderError: nothing failed) when `signal` aborts.
 */
export async function postJson<T>(post: JsonPost, answer: z.ZodType<T>, signal: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(post.timeoutMs);
  let text: string;
  let status: number | null = null;
  try {
    const response = await fetch(post.url, {
      method: "POST",
      headers: post.headers,
      body: JSON.stringify(post.body),
      // A redirect would turn the POST into a GET; an API that moved is a configuration to fix.
      redirect: "manual",
      signal: AbortSignal.any([signal, timeout]),
    });
    status = response.status;
    if (status < 200 || status > 299) throw await refusal(post, response);
    // The body is read inside the try: a connection dropped halfway through it is a connection failure too.
    text = await response.text();
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if (signal.aborted) throw signal.reason;
    if (timeout.aborted) throw new ProviderError("timeout", `${post.provider} gave no answer within ${post.timeoutMs} ms`);
    const what = status !== null ? "dropped the connection halfway through its answer" : "could not be reached";
    throw new ProviderError("connection", `${post.provider} ${what}: ${networkError(error)}`);
  }
  return parseAnswer(post, status, text, answer);
}

function parseAnswer<T>(post: JsonPost, status: number, text: string, answer: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const start = quote(post, text);
    throw new ProviderError(
      "malformed",
      `${post.provider} answered ${status} with a body that is not JSON${start === "" ? " (an empty one)" : `: ${start}`}`,
      status,
    );
  }
  const checked = answer.safeParse(json);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    throw new ProviderError(
      "malformed",
      `${post.provider} answered ${status} with a body not of its API's shape${where}: ${issue?.message ?? "invalid"}`,
      status,
    );
  }
  return checked.data;
}

/** The error for an answer other than 2xx, with the provider's own message when its body has one. */
async function refusal(post: JsonPost, response: Response): Promise<ProviderError> {
  const { status } = response;
  const said = await providerMessage(post, response);
  const message = `${post.provider} answered ${status}${said === "" ? "" : `: ${said}`}`;
  if (status === 429) return new ProviderError("rate_limited", message, status, retryAfterMs(response.headers));
  // 529 is Anthropic's "overloaded", a server error like the rest of 5xx.
  if (status >= 500) return new ProviderError("server_error", message, status);
  if (status === 401 || status === 403) return new ProviderError("auth", message, status);
  if (status >= 400) return new ProviderError("bad_request", message, status);
  return new ProviderError("bad_request", `${post.provider} answered ${status}, a redirect: check its baseUrl`, status);
}

/**
 * The provider's explanation: `error.message` in Anthropic's and OpenAI's
 * bodies (and most compatible servers'), a bare `error` string in some
 * local servers', otherwise the start of the body. Empty when the body
 * cannot be read: the status alone still says what happened.
 */
async function providerMessage(post: JsonPost, response: Response): Promise<string> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return "";
  }
  try {
    const body: unknown = JSON.parse(text);
    const error = field(body, "error");
    const message = typeof error === "string" ? error : field(error, "message");
    if (typeof message === "string" && message !== "") return quote(post, message);
  } catch {
    // Not JSON (a proxy's HTML page): quoted as it is.
  }
  return quote(post, text);
}

function field(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null && name in value ? (value as Record<string, unknown>)[name] : undefined;
}

/** Provider text for a message: on one line, cut short, and never the key (some APIs echo a refused key back). */
function quote(post: JsonPost, text: string): string {
  const secret = post.secret;
  const safe = secret === null ? text : text.replaceAll(secret, "[API key]");
  const line = safe.replace(/\s+/g, " ").trim();
  return line.length > quotedChars ? `${line.slice(0, quotedChars)}…` : line;
}

/**
 * How long a 429 asks to wait: OpenAI's `retry-after-ms` when present (it
 * is finer), else `retry-after` in seconds or as an HTTP date (the one
 * place the clock is read: a date means nothing without it).
 */
function retryAfterMs(headers: Headers): number | null {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const after = headers.get("retry-after")?.trim();
  if (after === undefined || after === "") return null;
  if (/^\d+(\.\d+)?$/.test(after)) return Math.round(Number(after) * 1_000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** fetch reports a network failure as TypeError("fetch failed") or ("terminated") whose cause is the socket's error. */
function networkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = field(cause, "code");
    return typeof code === "string" && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return error.message;
}
