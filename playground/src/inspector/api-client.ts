import type { Entry, ErrorBody } from "../../server/api-types.ts";

/** An answer of the API other than 2xx, with what its body says: the code, the message and the hint, shown as they are. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | null,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

const tokenKey = "flow-serve-token";

/**
 * The page's end of `flow serve`'s API (README, "flow serve"). Reads need
 * no token on loopback; changes do, and the page keeps the one its user
 * pasted in this browser's storage for this server (the token is the
 * user's, attributed to its holder in every decision).
 */
export class Api {
  private readonly base: URL;

  constructor(page: string) {
    // The web app is served from the server's root; its pages' URLs are relative (Vite's `base: "./"`).
    this.base = new URL("api/", page);
  }

  get token(): string | null {
    return localStorage.getItem(tokenKey);
  }

  set token(value: string | null) {
    if (value === null || value === "") localStorage.removeItem(tokenKey);
    else localStorage.setItem(tokenKey, value);
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path, undefined);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>("POST", path, body);
  }

  /**
   * A run's entries from `after` on, as they are recorded: `EventSource`
   * reconnects by itself after a dropped connection, from the last seq it
   * saw (Last-Event-ID), so nothing is missed or given twice.
   */
  /** `after`: the last seq the page has; null for a stream from the ledger's start. */
  events(run: string, after: number | null, onEntries: (entries: readonly Entry[]) => void, onTrouble: (message: string | null) => void): () => void {
    const url = new URL(`runs/${encodeURIComponent(run)}/events`, this.base);
    if (after !== null) url.searchParams.set("after", String(after));
    if (this.token !== null) url.searchParams.set("token", this.token);
    const source = new EventSource(url);
    // Entries come in bursts (a fan-out's completions); the page redraws once per burst, not once per entry.
    let burst: Entry[] = [];
    let flush: number | undefined;
    source.addEventListener("entry", (event) => {
      burst.push(JSON.parse((event as MessageEvent<string>).data) as Entry);
      flush ??= window.setTimeout(() => {
        const entries = burst;
        burst = [];
        flush = undefined;
        onEntries(entries);
      }, 60);
    });
    source.addEventListener("open", () => onTrouble(null));
    source.addEventListener("error", (event) => {
      const data = (event as MessageEvent<string>).data;
      onTrouble(typeof data === "string" ? ((JSON.parse(data) as ErrorBody).error.message ?? "the stream failed") : "the stream was cut; reconnecting…");
    });
    return () => {
      source.close();
      clearTimeout(flush);
    };
  }

  private async call<T>(method: "GET" | "POST", path: string, body: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token !== null) headers["authorization"] = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiFailure(0, "unreachable", `flow serve did not answer: ${(error as Error).message}`, "is `flow serve` still running?");
    }
    const text = await response.text();
    if (!response.ok) {
      let error: ErrorBody["error"] | undefined;
      try {
        error = (JSON.parse(text) as ErrorBody).error;
      } catch {
        // Not the API's own error (a proxy's page): the status says what there is to say.
      }
      throw new ApiFailure(response.status, error?.code ?? `http_${response.status}`, error?.message ?? `${response.status} ${response.statusText}`, error?.hint ?? null);
    }
    return JSON.parse(text) as T;
  }
}
