import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A model API on loopback for tests: a real HTTP server on 127.0.0.1 at an
 * ephemeral port, answering each request from a queue of scripted answers
 * (then from `fallback`, a function of the request: answers that depend on what was asked), and keeping every
 * request it saw. fake-anthropic-server.ts and fake-openai-server.ts give
 * it each API's path and the builders of its answers.
 */

/** A request as the server saw it: `body` is the parsed JSON (null when the body was not JSON), `raw` the bytes as text. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  readonly raw: string;
}

/** How the server answers one request. */
export type FakeAnswer =
  /** A status with a JSON body. */
  | {
      readonly kind: "json";
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** A status with a body sent as it is (not JSON, cut short, HTML). */
  | { readonly kind: "raw"; readonly status: number; readonly body: string; readonly headers?: Readonly<Record<string, string>> }
  /** Closes the connection without an answer. */
  | { readonly kind: "drop" }
  /** Sends the status, headers and the first part of `body` (a `content-length` promising all of it), then closes the connection. */
  | { readonly kind: "drop-mid-body"; readonly status: number; readonly body: string }
  /** Answers `then` after `delayMs` (past a client's timeout, the client is gone by then). */
  | { readonly kind: "slow"; readonly delayMs: number; readonly then: FakeAnswer };

export class FakeModelServer {
  /** Every request seen, in order. */
  readonly requests: SeenRequest[] = [];
  /**
   * Answers a request when the queue is empty. By default a 418 saying so:
   * a refusal, which stops a route at once, so a test that scripted too
   * few answers fails where it went wrong rather than failing over.
   */
  fallback: (request: SeenRequest) => FakeAnswer = unscripted;

  private readonly queue: FakeAnswer[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    /** The API's one path; any other answers 404. */
    private readonly path: string,
    readonly url: string,
  ) {}

  /**
   * Starts a server whose API answers at `path`. `urlPath` is what a
   * provider's `baseUrl` adds after the origin (`/v1` for OpenAI's).
   */
  static async start(path: string, urlPath = ""): Promise<FakeModelServer> {
    let fake: FakeModelServer | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () =>
        fake?.receive(req.method ?? "", req.url ?? "", req.headers, Buffer.concat(chunks).toString("utf8"), res),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake = new FakeModelServer(server, path, `http://127.0.0.1:${(server.address() as AddressInfo).port}${urlPath}`);
    return fake;
  }

  /** Queues answers for the next requests, in order. */
  answer(...answers: FakeAnswer[]): void {
    this.queue.push(...answers);
  }

  /** Forgets the requests seen, the answers not given and any `fallback` set (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.fallback = unscripted;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private receive(method: string, path: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    const request: SeenRequest = { method, path, headers, body: parsed(raw), raw };
    this.requests.push(request);
    if (method !== "POST" || path !== this.path) {
      this.send({ kind: "json", status: 404, body: { error: { message: `no route ${method} ${path}` } } }, res);
      return;
    }
    this.send(this.queue.shift() ?? this.fallback(request), res);
  }

  private send(answer: FakeAnswer, res: ServerResponse): void {
    switch (answer.kind) {
      case "json":
        res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers }).end(JSON.stringify(answer.body));
        return;
      case "raw":
        res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers }).end(answer.body);
        return;
      case "drop":
        res.socket?.destroy();
        return;
      case "drop-mid-body": {
        const body = Buffer.from(answer.body);
        res.writeHead(answer.status, { "content-type": "application/json", "content-length": String(body.length) });
        const socket: Socket | null = res.socket;
        // Flushed first, so the client has the headers and half a body when the connection goes.
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => socket?.destroy());
        return;
      }
      case "slow": {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!res.destroyed) this.send(answer.then, res);
        }, answer.delayMs);
        this.timers.add(timer);
        return;
      }
    }
  }
}

function unscripted(): FakeAnswer {
  return { kind: "json", status: 418, body: { error: { message: "the fake server has no answer scripted" } } };
}

function parsed(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
