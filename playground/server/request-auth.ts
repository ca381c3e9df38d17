import type { IncomingMessage } from "node:http";
import { ApiError } from "./api-error.ts";
import type { ServeTokens } from "./serve-tokens.ts";

/** Who a request comes from: the holder of the token it presented, or nobody (no token, where none is needed). */
export type Caller = { readonly kind: "holder"; readonly holder: string } | { readonly kind: "anonymous" };

const loopbackHosts = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopback(host: string): boolean {
  return loopbackHosts.has(host) || host.startsWith("127.");
}

/**
 * Checks a request's credentials. A token is needed for anything that
 * changes state, and for everything when the server listens beyond
 * loopback. `EventSource` cannot send headers, so a stream may give it as
 * `?token=` instead. On loopback, a request whose Host is not a loopback
 * name is refused: a page elsewhere cannot reach the API through a DNS
 * name rebound to 127.0.0.1.
 */
export function authenticate(
  request: IncomingMessage,
  url: URL,
  options: {
    readonly tokens: ServeTokens;
    readonly loopbackOnly: boolean;
    readonly changesState: boolean;
    readonly tokenInQuery: boolean;
    /** The web app's files: a browser loading a page sends no header, so the token may come as the cookie `webAppCookie` sets. Never for the API: a cookie goes with requests other sites make. */
    readonly tokenInCookie?: boolean;
  },
): Caller {
  if (options.loopbackOnly) {
    const host = (request.headers.host ?? "").replace(/:\d+$/, "");
    if (!isLoopback(host)) throw new ApiError(403, "host_refused", `this server answers requests to its loopback address only, not to \`${host}\``, "open it as http://127.0.0.1:PORT/");
  }
  const needed = options.changesState || !options.loopbackOnly;
  const header = request.headers.authorization;
  let token: string | null = null;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) throw new ApiError(401, "bad_authorization", "the Authorization header is not `Bearer TOKEN`", "send `Authorization: Bearer TOKEN` with the token `flow serve` printed");
    token = match[1] ?? null;
  } else if (options.tokenInQuery && url.searchParams.has("token")) {
    token = url.searchParams.get("token");
  } else if (options.tokenInCookie === true && needed) {
    token = cookieToken(request.headers.cookie);
  }
  if (token === null) {
    if (!needed) return { kind: "anonymous" };
    const what = options.changesState ? "a change to a run" : "a request to a server that listens beyond loopback";
    throw new ApiError(401, "token_missing", `${what} needs a bearer token, and this request has none`, "send `Authorization: Bearer TOKEN`; `flow serve` printed a token when it first started, and `flow serve --add-token NAME` makes another");
  }
  const holder = options.tokens.holderOf(token);
  if (holder === null) throw new ApiError(401, "token_unknown", "the bearer token is not one this server made", "`flow serve --add-token NAME` makes a token");
  return { kind: "holder", holder };
}

const cookieName = "flow_token";

function cookieToken(header: string | undefined): string | null {
  for (const part of (header ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === cookieName) return decodeURIComponent(value.join("="));
  }
  return null;
}

/**
 * The cookie that lets a browser load the web app from a server beyond
 * loopback: set when a page is opened as `/runs.html?token=TOKEN` (the
 * link `flow serve` prints), sent back with the page's own files. HttpOnly
 * (the page's script never sees it: it keeps the token it was given for
 * the API's Authorization header) and SameSite=Strict.
 */
export function webAppCookie(token: string): string {
  return `${cookieName}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
