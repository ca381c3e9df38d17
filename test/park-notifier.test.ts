import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ParkNotice, type ParkNoticeInput, parkNotice, showCharLimit, showLineLimit, slackTextLimit } from "../interpreter/host/park-notice.ts";
import { deliver } from "../interpreter/host/webhook-delivery.ts";
import { DeliveryRecord } from "../interpreter/ledger/entry.ts";

/** A webhook receiver on loopback: each request is kept, and `answer` (set per test) answers it. */
let server: Server;
let base: string;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const received: { method: string; url: string; contentType: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method!, url: req.url!, contentType: req.headers["content-type"], body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  answer = (_req, res) => void res.writeHead(200, { "content-type": "text/plain" }).end("ok");
});

/** Answers with each of `statuses` in turn, then 200. */
function answering(...statuses: { status: number; headers?: Record<string, string>; body?: string }[]): void {
  answer = (_req, res) => {
    const next = statuses.shift() ?? { status: 200, body: "ok" };
    res.writeHead(next.status, next.headers ?? {}).end(next.body ?? "");
  };
}

/** A sleep that only records what it was asked to wait. */
function recordingSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

const input: ParkNoticeInput = {
  run: "20261122-134955-5a1c0e",
  workflow: "migrate_all",
  instance: "b7",
  waitingFor: 'approval "merge"',
  show: { packages: ["core", "web"], risk: "low <see notes>" },
  spent: { tokens: 0, usd: 0, compute: 83_400, wall: 512 },
  ceilings: { tokens: null, usd: 5, compute: 3_600_000, wall: null },
  approveHint: "flow approve 20261122-134955-5a1c0e merge",
};

const quick = { attempts: 3, backoffMs: 20, timeoutMs: 2_000, clock: () => Date.now() };

describe("park notice", () => {
  it("arrives as a Slack incoming-webhook body with the gate, the show summary, the spend and the flow member", async () => {
    const record = await deliver(`${base}/hooks/T000/B000/secret`, parkNotice(input), quick);
    expect(record.delivered).toBe(true);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/hooks/T000/B000/secret");
    expect(request?.contentType).toBe("application/json");

    const body = ParkNotice.parse(JSON.parse(request!.body));
    expect(body.text).toBe('run 20261122-134955-5a1c0e (migrate_all) is parked at b7, waiting for approval "merge"');
    expect(body.text).not.toContain("\n");
    expect(body.blocks.map((b) => b.type)).toEqual(["section", "section", "context"]);
    const [gate, show, context] = body.blocks;
    expect(gate).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: '*Run `20261122-134955-5a1c0e` is parked* at `b7`, waiting for approval "merge"\nworkflow `migrate_all`' },
    });
    // Indented JSON, with Slack's three control characters escaped.
    expect(show).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: '*It shows*\n```{\n  "packages": [\n    "core",\n    "web"\n  ],\n  "risk": "low &lt;see notes&gt;"\n}```' },
    });
    expect(context).toEqual({
      type: "context",
      elements: [
        // Tokens have neither a ceiling nor a charge: not shown.
        { type: "mrkdwn", text: "Spent so far: $0.00 of $5.00 · compute 1m23s of 1h · wall 512ms (no ceiling)" },
        { type: "mrkdwn", text: "To decide: `flow approve 20261122-134955-5a1c0e merge`" },
      ],
    });
    const { approveHint: _, ...parked } = input;
    expect(body.flow).toEqual({ event: "run.parked", ...parked });
  });

  it("has no show section when the gate shows nothing, and says when nothing is spent", () => {
    const notice = parkNotice({ ...input, show: undefined, spent: { tokens: 0, usd: 0, compute: 0, wall: 0 }, ceilings: { tokens: null, usd: null, compute: null, wall: null } });
    expect(notice.blocks.map((b) => b.type)).toEqual(["section", "context"]);
    expect("show" in notice.flow).toBe(false);
    expect(notice.blocks[1]).toMatchObject({ elements: [{ text: "Spent so far: nothing" }, {}] });
    ParkNotice.parse(notice);
  });

  it("cuts a long show value to its lines and characters, within Slack's limits", () => {
    const showText = (show: string) => {
      const notice = ParkNotice.parse(parkNotice({ ...input, show }));
      const text = (notice.blocks[1] as { text: { text: string } }).text.text;
      expect(text.length).toBeLessThanOrEqual(slackTextLimit);
      expect(notice.flow.show).toBe(show); // The machine-readable member keeps it whole.
      return text.slice("*It shows*\n```".length, -"```".length);
    };

    // Many lines: the first 20, then how many more.
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    const byLines = showText(lines.join("\n")).split("\n");
    expect(byLines).toEqual([...lines.slice(0, showLineLimit), "… (80 more lines)"]);

    // One long line: cut within the character limit, with an ellipsis.
    const byChars = showText("x".repeat(10_000));
    expect(byChars.length).toBeLessThanOrEqual(showCharLimit);
    expect(byChars).toMatch(/^x{2000,}…$/);

    // Escaping multiplies `&` by five: the cut counts what Slack counts, and never splits an entity.
    const escaped = showText("&".repeat(3_000));
    expect(escaped.length).toBeLessThanOrEqual(showCharLimit);
    expect(escaped).toMatch(/^(&amp;)+…$/);

    // Long lines and many of them: the character limit holds, and the lines left out are counted.
    const both = showText(Array.from({ length: 30 }, (_, i) => `${i}:${"y".repeat(300)}`).join("\n"));
    expect(both.length).toBeLessThanOrEqual(showCharLimit);
    expect(both).toMatch(/…\n… \(\d+ more lines\)$/);

    // Three backticks would close the code block the summary sits in.
    expect(showText("a ```b``` c")).not.toContain("```");
  });
});

describe("webhook delivery", () => {
  it("retries 503s with doubling backoff and records every attempt", async () => {
    answering({ status: 503, body: "busy" }, { status: 503 });
    const { waits, sleep } = recordingSleep();
    let now = 1_000;
    const record = await deliver(`${base}/hook`, { text: "hi" }, { attempts: 5, backoffMs: 250, timeoutMs: 2_000, sleep, clock: () => (now += 10) });
    expect(DeliveryRecord.parse(record)).toEqual({
      delivered: true,
      attempts: [
        { at: 1_010, status: 503, error: "HTTP 503: busy", ms: 10 },
        { at: 1_030, status: 503, error: "HTTP 503", ms: 10 },
        { at: 1_050, status: 200, error: null, ms: 10 },
      ],
    });
    expect(waits).toEqual([250, 500]);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.body))).toEqual(new Set(['{"text":"hi"}']));
  });

  it("waits for real between attempts", async () => {
    answering({ status: 503 }, { status: 502 });
    const record = await deliver(`${base}/hook`, { text: "hi" }, quick);
    expect(record.delivered).toBe(true);
    expect(record.attempts.map((a) => a.status)).toEqual([503, 502, 200]);
    const [first, second, third] = record.attempts as [DeliveryRecord["attempts"][0], DeliveryRecord["attempts"][0], DeliveryRecord["attempts"][0]];
    // Timers may fire a millisecond early by Date.now's reckoning.
    expect(second.at - first.at).toBeGreaterThanOrEqual(19);
    expect(third.at - second.at).toBeGreaterThanOrEqual(39);
  });

  it("does not retry a 404, and records why", async () => {
    answering({ status: 404, body: "no_service" });
    const { waits, sleep } = recordingSleep();
    const record = await deliver(`${base}/hook`, { text: "hi" }, { ...quick, sleep });
    expect(record.delivered).toBe(false);
    expect(record.attempts).toEqual([{ at: expect.any(Number), status: 404, error: "HTTP 404: no_service", ms: expect.any(Number) }]);
    expect(waits).toEqual([]);
  });

  it("does not follow a redirect, and records where it pointed without its path", async () => {
    answering({ status: 301, headers: { location: "https://hooks.example.com/services/secret" } });
    const record = await deliver(`${base}/hook`, { text: "hi" }, quick);
    expect(record).toMatchObject({ delivered: false, attempts: [{ status: 301, error: "HTTP 301: redirects to https://hooks.example.com" }] });
    expect(received).toHaveLength(1);
  });

  it("records every attempt on a refused connection and does not deliver", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { waits, sleep } = recordingSleep();
    const record = await deliver(`http://127.0.0.1:${port}/hook`, { text: "hi" }, { ...quick, attempts: 3, sleep });
    expect(DeliveryRecord.parse(record).delivered).toBe(false);
    expect(record.attempts).toHaveLength(3);
    for (const attempt of record.attempts) {
      expect(attempt.status).toBeNull();
      expect(attempt.error).toMatch(/ECONNREFUSED/);
    }
    expect(waits).toEqual([20, 40]);
  });

  it("gives up on an attempt that gets no answer within the timeout, and retries it", async () => {
    answer = () => undefined; // Never answers.
    const record = await deliver(`${base}/hook`, { text: "hi" }, { attempts: 2, backoffMs: 10, timeoutMs: 100, clock: () => Date.now() });
    expect(record.delivered).toBe(false);
    expect(received).toHaveLength(2);
    expect(record.attempts.map((a) => [a.status, a.error])).toEqual([
      [null, "no answer within 100 ms"],
      [null, "no answer within 100 ms"],
    ]);
    for (const attempt of record.attempts) {
      expect(attempt.ms).toBeGreaterThanOrEqual(95);
      expect(attempt.ms).toBeLessThan(1_000);
    }
  });

  it("honours Retry-After on a 429, within the cap", async () => {
    answering({ status: 429, headers: { "retry-after": "1" }, body: "rate_limited" }, { status: 429, headers: { "retry-after": "3600" } }, { status: 429 });
    const { waits, sleep } = recordingSleep();
    const record = await deliver(`${base}/hook`, { text: "hi" }, { attempts: 4, backoffMs: 10, timeoutMs: 2_000, maxWaitMs: 30_000, sleep, clock: () => Date.now() });
    expect(record.delivered).toBe(true);
    expect(record.attempts.map((a) => [a.status, a.error])).toEqual([
      [429, "HTTP 429: rate_limited"],
      [429, "HTTP 429"],
      [429, "HTTP 429"],
      [200, null],
    ]);
    // The server's word where it gave one (capped), the backoff otherwise.
    expect(waits).toEqual([1_000, 30_000, 40]);
  });

  it("refuses a URL that is not an http or https URL, before any attempt", async () => {
    await expect(deliver("not a url", {}, quick)).rejects.toThrow("the webhook URL is not a URL");
    await expect(deliver("ftp://example.com/hook", {}, quick)).rejects.toThrow("must be http: or https:, not ftp:");
    await expect(deliver("http://user:pw@127.0.0.1/hook", {}, quick)).rejects.toThrow("must not carry credentials");
  });
});
