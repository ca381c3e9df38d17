import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { runStatus } from "../../cli/commands/status.ts";
import { storePages } from "../../cli/ledger-pages.ts";
import type { ProjectConfig } from "../../cli/project-config.ts";
import type { DriverOptions } from "../../interpreter/host/run-driver.ts";
import { signReceipt } from "../../interpreter/receipts/signature.ts";
import { replayLedger } from "../../interpreter/replay.ts";
import type { RunRecord, Store } from "../../interpreter/store/store.ts";
import type { RunnerKey } from "../../cli/runner-key.ts";
import { ApiError, apiErrorOf } from "./api-error.ts";
import { entriesPage, pageParams } from "./entries-page.ts";
import { EventStreams, type StreamTiming } from "./event-stream.ts";
import { authenticate, webAppCookie, type Caller, isLoopback } from "./request-auth.ts";
import { readBody } from "./request-body.ts";
import { changesState, matchRoute, type Route } from "./routes.ts";
import { RunDrives } from "./run-drives.ts";
import { runGates } from "./run-gates.ts";
import { runGraph } from "./run-graph.ts";
import { RunList } from "./run-list.ts";
import { RunLedgers } from "./run-ledgers.ts";
import { readRunOr409, runRecord } from "./run-lookup.ts";
import type { ServerSigner } from "./server-signer.ts";
import type { ServeTokens } from "./serve-tokens.ts";
import { ControlBody, DecideBody, ResumeBody, SignalBody, StateChanges } from "./state-changes.ts";
import { StartBody, startRun } from "./run-starts.ts";
import { serveStatic } from "./static-files.ts";
import { TimerLoop } from "./timer-loop.ts";
import { vertexDetail } from "./vertex-detail.ts";

export interface ServerOptions {
  readonly store: Store;
  readonly host: string;
  /** 0 for any free port. */
  readonly port: number;
  readonly tokens: ServeTokens;
  readonly signer: ServerSigner;
  /** Signs the receipts `GET /api/runs/:id/receipt` answers with: the project's runner key. */
  readonly runnerKey: () => RunnerKey;
  readonly approvers: () => ProjectConfig["approvers"];
  readonly driverOptions: () => DriverOptions;
  /** The wall clock: when a timer is due, what a recorded answer's `at` is. The one source of time; the store and ledger decide the rest. */
  readonly clock: () => number;
  /** The web app's built assets. */
  readonly staticDir: string;
  /** The project's directory: `POST /api/runs` reads programs from inside it only. */
  readonly projectRoot: string;
  /** How often due timers are looked for (ms). */
  readonly tickEveryMs: number;
  readonly streams: StreamTiming;
  readonly log: (line: string) => void;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `flow serve`: the JSON API over a store (under `/api/`), the event
 * streams of runs' ledgers, the web app's assets, and the loop that fires
 * due timers. It decides nothing itself: it reads the store, and changes
 * runs only through the drivers, as the commands do.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const loopbackOnly = isLoopback(options.host);
  const drives = new RunDrives(options.log);
  const changes = new StateChanges({ store: options.store, drives, driverOptions: options.driverOptions, signer: options.signer, approvers: options.approvers, clock: options.clock });
  const streams = new EventStreams(options.store, options.streams);
  const timers = new TimerLoop(options.store, drives, options.driverOptions, options.clock, options.log);
  const staticDir = resolve(options.staticDir);
  const runs = new RunList(options.store);
  const ledgers = new RunLedgers(options.store);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://flow.invalid");
    if (!url.pathname.startsWith("/api/")) {
      if (request.method !== "GET" && request.method !== "HEAD") throw new ApiError(405, "method_not_allowed", `${request.method ?? "?"} ${url.pathname}: only GET serves the web app`);
      const caller = authenticate(request, url, { tokens: options.tokens, loopbackOnly, changesState: false, tokenInQuery: true, tokenInCookie: true });
      const given = url.searchParams.get("token");
      if (caller.kind === "holder" && given !== null) response.setHeader("set-cookie", webAppCookie(given));
      serveStatic(staticDir, url.pathname, response);
      return;
    }
    // Beyond loopback, nothing is said without a token, not even which routes exist.
    if (!loopbackOnly) authenticate(request, url, { tokens: options.tokens, loopbackOnly, changesState: false, tokenInQuery: url.pathname.endsWith("/events") });
    let segments: string[];
    try {
      segments = url.pathname.slice("/api/".length).split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
    } catch {
      throw new ApiError(400, "bad_path", "the path is not valid percent-encoding");
    }
    const match = matchRoute(request.method ?? "GET", segments);
    switch (match.kind) {
      case "none":
        throw new ApiError(404, "no_route", `no route ${request.method ?? "?"} ${url.pathname}`, "README.md, \"flow serve\", lists the routes");
      case "wrongMethod":
        response.setHeader("allow", match.allowed);
        throw new ApiError(405, "method_not_allowed", `${url.pathname} takes ${match.allowed}, not ${request.method ?? "?"}`);
      case "route":
        break;
    }
    const route = match.route;
    const caller = authenticate(request, url, { tokens: options.tokens, loopbackOnly, changesState: changesState(route), tokenInQuery: route.kind === "events" });
    if (route.kind === "runs") return json(response, 200, { runs: await runs.read(limitParam(url)) });
    if (route.kind === "start") {
      if (caller.kind !== "holder") throw new ApiError(401, "token_missing", "starting a run needs a bearer token");
      const started = await startRun(await readBody(request, StartBody), caller.holder, { drives, driverOptions: options.driverOptions, root: options.projectRoot, clock: options.clock });
      options.log(`POST /api/runs → 201: ${started.said}`);
      return json(response, 201, started);
    }
    const record = await runRecord(options.store, route.run);
    if (route.kind === "events") return streams.serve(request, response, record.id, url);
    const [status, body] = await answer(route, record, caller, request, url);
    if (changesState(route)) options.log(`${request.method} ${url.pathname} → ${status}${typeof body === "object" && body !== null && "said" in body ? `: ${String(body.said)}` : ""}`);
    json(response, status, body);
  };

  const answer = async (route: Exclude<Route, { kind: "runs" | "start" | "events" }>, record: RunRecord, caller: Caller, request: IncomingMessage, url: URL): Promise<[number, unknown]> => {
    const holder = (): string => {
      if (caller.kind === "holder") return caller.holder;
      throw new ApiError(401, "token_missing", "a change to a run needs a bearer token");
    };
    switch (route.kind) {
      case "run":
        // Read first as the other routes read it: a ledger whose chain breaks is a 409 here too.
        await readRunOr409(options.store, record.id);
        return [200, (await runStatus(options.store, record, options.clock())).summary];
      case "graph": {
        const { core, first } = await readRunOr409(options.store, record.id);
        const graph = runGraph(first.data.ir, core.state);
        if (graph === null) throw new ApiError(409, "no_workflow", `the IR of run ${record.id} has no workflow ${record.workflow}`);
        return [200, graph];
      }
      case "entries": {
        const { after, limit } = pageParams(url);
        return [200, await entriesPage(options.store, record.id, after, limit)];
      }
      case "vertex": {
        const { core } = await readRunOr409(options.store, record.id);
        const detail = vertexDetail(core.state, await ledgers.entries(record.id), await ledgers.receipt(record.id), route.instance);
        if (detail === null) throw new ApiError(404, "unknown_vertex", `run ${record.id} has no vertex instance \`${route.instance}\``, "`GET /api/runs/:id/graph` lists its instances");
        return [200, detail];
      }
      case "receipt":
        // Made and signed as `flow receipt` makes it, but not written: a GET leaves nothing behind.
        return [200, signReceipt(await ledgers.receipt(record.id), options.runnerKey())];
      case "gates": {
        const { core } = await readRunOr409(options.store, record.id);
        return [200, runGates(core.state, await ledgers.entries(record.id))];
      }
      case "replay": {
        const verdict = await replayLedger(storePages(options.store.entries(record.id, 0)));
        return [200, { run: record.id, ...verdict }];
      }
      case "decide":
        return [202, await changes.decide(record, route.decision, await readBody(request, DecideBody), holder())];
      case "signal":
        return [202, await changes.signal(record, await readBody(request, SignalBody), holder())];
      case "control":
        await readBody(request, ControlBody);
        return [202, await changes.control(record, route.control, holder())];
      case "resume":
        return [202, await changes.resume(record, await readBody(request, ResumeBody), holder())];
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const apiError = apiErrorOf(error);
      if (apiError.status === 500) options.log(`${request.method ?? "?"} ${request.url ?? ""}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (response.headersSent) response.end();
      else json(response, apiError.status, apiError.body());
    });
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port, options.host, () => done());
  });
  timers.start(options.tickEveryMs);
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      await timers.stop();
      streams.closeAll();
      await drives.stopAll();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  response.end(text);
}

function limitParam(url: URL): number {
  const text = url.searchParams.get("limit");
  if (text === null) return 50;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ApiError(400, "bad_param", `\`limit\` must be a positive integer, not \`${text}\``);
  return Math.min(Number(text), 1000);
}
