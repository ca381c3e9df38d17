import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpSteps, requestTimeoutMs, responseLimitBytes } from "../stdlib/runtime/http.ts";
import type { Step, StepContext } from "../stdlib/runtime/implementation.ts";
import { failureOf, processContext, runStep, TempDirs, testStepId } from "./support/std-runtime.ts";

const dirs = new TempDirs();
let server: Server;
let base: string;
let context: StepContext;
const received: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
  switch (req.url) {
    case "/json":
      return void res.writeHead(200, { "content-type": "application/json" }).end('{"ok": true, "items": [1, 2]}');
    case "/missing":
      return void res.writeHead(404).end("no such thing");
    case "/echo":
      return void res.writeHead(201).end(body);
    case "/text":
      return void res.writeHead(200).end("héllo, not JSON");
    case "/silent":
      return; // Never answers.
    case "/huge":
      res.writeHead(200);
      res.write("x".repeat(responseLimitBytes));
      return void res.end("y");
    default:
      return void res.writeHead(500).end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => route(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context = await processContext(dirs);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await dirs.removeAll();
});

describe("std/http", () => {
  it("get records status and body; the value adds json", async () => {
    const { recorded, value } = await runStep("std/http", "http.get", context, { url: `${base}/json` });
    expect(recorded).toEqual({ status: 200, body: '{"ok": true, "items": [1, 2]}' });
    expect(value).toEqual({ status: 200, body: '{"ok": true, "items": [1, 2]}', json: { ok: true, items: [1, 2] } });
    expect((await runStep("std/http", "http.get", context, { url: `${base}/text` })).value).toEqual({ status: 200, body: "héllo, not JSON", json: null });
  });

  it("returns a status that is not 2xx rather than failing", async () => {
    expect((await runStep("std/http", "http.get", context, { url: `${base}/missing` })).value).toEqual({ status: 404, body: "no such thing", json: null });
  });

  it("post sends the body, typed as JSON when it is JSON, with the step's id as Idempotency-Key", async () => {
    received.length = 0;
    const { value } = await runStep("std/http", "http.post", context, { url: `${base}/echo`, body: '{"n": 1}' });
    expect(value).toEqual({ status: 201, body: '{"n": 1}', json: { n: 1 } });
    await runStep("std/http", "http.post", context, { url: `${base}/echo`, body: "plain words" });
    expect(received.map((r) => [r.method, r.body, r.headers["idempotency-key"], r.headers["content-type"]])).toEqual([
      ["POST", '{"n": 1}', testStepId, "application/json"],
      ["POST", "plain words", testStepId, "text/plain; charset=utf-8"],
    ]);
  });

  it("fails as Timeout when no answer comes within the timeout", async () => {
    expect(requestTimeoutMs).toBe(30_000);
    const quick = httpSteps(300)["http.get"] as Step;
    const started = Date.now();
    expect(await failureOf(quick.run(context, { url: `${base}/silent` }))).toEqual({ kind: "Timeout", message: `GET ${base}/silent got no complete answer within 300ms` });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("fails as Transient when the connection is refused", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = await failureOf(runStep("std/http", "http.get", context, { url: `http://127.0.0.1:${port}/` }));
    expect(failure.kind).toBe("Transient");
    expect(failure.message).toMatch(/ECONNREFUSED/);
  });

  it("fails on a URL that is not http, and on a response over the limit", async () => {
    expect(await failureOf(runStep("std/http", "http.get", context, { url: "file:///etc/passwd" }))).toEqual({ kind: "Failed", message: "`file:///etc/passwd` is not an http or https URL" });
    expect(await failureOf(runStep("std/http", "http.get", context, { url: "not a url" }))).toEqual({ kind: "Failed", message: "`not a url` is not a URL" });
    expect(await failureOf(runStep("std/http", "http.get", context, { url: `${base}/huge` }))).toEqual({
      kind: "Failed",
      message: `GET ${base}/huge: the response is larger than ${responseLimitBytes} bytes`,
    });
  });

  it("stops with the attempt's reason when the attempt is aborted", async () => {
    const controller = new AbortController();
    const running = (httpSteps(10_000)["http.get"] as Step).run({ ...context, signal: controller.signal }, { url: `${base}/silent` });
    setTimeout(() => controller.abort(new Error("attempt given up")), 100);
    await expect(running).rejects.toThrow("attempt given up");
  });

  it("both are idempotent: GET is safe, POST carries its idempotency key", () => {
    const steps = httpSteps(requestTimeoutMs);
    expect([steps["http.get"], steps["http.post"]].map((s) => (s as Step).idempotent)).toEqual([true, true]);
  });
});
