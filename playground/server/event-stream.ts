import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../../interpreter/store/store.ts";
import { ApiError } from "./api-error.ts";

export interface StreamTiming {
  /** How often the store is read for new entries: another process (a `flow run` elsewhere) writes them, so they are looked for. */
  readonly pollMs: number;
  /** How often a comment line is sent when nothing else is, so proxies and the client know the stream is alive. */
  readonly heartbeatMs: number;
}

/**
 * `GET /api/runs/:id/events`: the run's ledger entries as Server-Sent
 * Events, each `event: entry`, `id:` its seq and `data:` its canonical
 * JSON, from the first after `Last-Event-ID` (the header a reconnecting
 * `EventSource` sends), else after `?after=SEQ`, else from seq 0. The
 * stream stays open (a finished run can still be resumed or replayed)
 * until the client goes or the server closes.
 */
export class EventStreams {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly timing: StreamTiming,
  ) {}

  serve(request: IncomingMessage, response: ServerResponse, run: string, url: URL): void {
    let next = startSeq(request, url);
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    response.write(`retry: 2000\n\n`);
    let reading = false;
    let lastWrite = 0;
    const poll = async () => {
      if (reading) return;
      reading = true;
      try {
        let sent = false;
        for await (const stored of this.store.entries(run, next)) {
          response.write(`id: ${stored.seq}\nevent: entry\ndata: ${stored.text}\n\n`);
          next = stored.seq + 1;
          sent = true;
        }
        if (sent) lastWrite = performance.now();
      } catch (error) {
        response.write(`event: error\ndata: ${JSON.stringify({ error: { code: "store", message: (error as Error).message, hint: null } })}\n\n`);
      } finally {
        reading = false;
      }
    };
    const poller = setInterval(() => void poll(), this.timing.pollMs);
    const heartbeat = setInterval(() => {
      if (performance.now() - lastWrite < this.timing.heartbeatMs) return;
      response.write(`: heartbeat\n\n`);
      lastWrite = performance.now();
    }, this.timing.heartbeatMs);
    const close = () => {
      clearInterval(poller);
      clearInterval(heartbeat);
      this.open.delete(close);
      response.end();
    };
    this.open.add(close);
    // The response's close, not the request's: it is the one that says the connection went.
    response.on("close", close);
    void poll();
  }

  /** Ends every stream: the server is closing. */
  closeAll(): void {
    for (const close of [...this.open]) close();
  }
}

function startSeq(request: IncomingMessage, url: URL): number {
  const header = request.headers["last-event-id"];
  const text = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("after");
  if (text === undefined || text === null || text === "") return 0;
  if (!/^\d+$/.test(text.trim())) throw new ApiError(400, "bad_param", `Last-Event-ID (or \`after\`) must be a seq, not \`${text}\``);
  return Number(text.trim()) + 1;
}
