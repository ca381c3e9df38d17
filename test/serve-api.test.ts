import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunSummary } from "../cli/commands/status.ts";
import type { EntriesPage } from "../playground/server/entries-page.ts";
import type { RunGates } from "../playground/server/run-gates.ts";
import type { RunGraph } from "../playground/server/run-graph.ts";
import type { RunRow } from "../playground/server/run-list.ts";
import type { StartedRun } from "../playground/server/run-starts.ts";
import type { ChangeOutcome } from "../playground/server/state-changes.ts";
import type { VertexDetail } from "../playground/server/vertex-detail.ts";
import type { Receipt } from "../interpreter/receipts/receipt.ts";
import type { ReplayVerdict } from "../interpreter/replay.ts";
import { reviewedItems } from "./support/gate-steps.ts";
import { call, gated, project, type Project, runIdOf, serve, type Served, signalled, steps, waitFor } from "./serve-harness.ts";

/**
 * `flow serve` end to end: the built binary serves a temporary project's
 * SQLite store on a free loopback port, runs are started and parked by
 * `flow run` in other processes, and every route is asked as a browser or
 * a script would, with good input and bad.
 */

const servers: Served[] = [];
afterEach(async () => {
  for (const served of servers.splice(0)) await served.stop();
});

async function start(p: Project, ...args: string[]): Promise<Served> {
  const served = await serve(p, ...args);
  servers.push(served);
  return served;
}

/** A project with a run of `program` parked (at a gate, a signal or a timer), and its id. */
function parkedRun(program: string, n = 3, ...options: string[]): { p: Project; run: string } {
  const p = project(program);
  const started = p.flow("run", "main.flow", "--arg", `n=${n}`, "--sandbox", "process", ...options);
  expect(started.code, started.stderr).toBe(0);
  return { p, run: runIdOf(started.stderr) };
}

const ledgerLength = (p: Project, run: string): number => p.flow("export", run).stdout.trim().split("\n").length;

describe("reading runs", () => {
  it("lists runs, shows one, its graph, entries, a vertex, its receipt, its gates and a replay verdict", async () => {
    const { p, run } = parkedRun(gated);
    const served = await start(p);

    const list = await call<{ runs: RunRow[] }>(served, "GET", "/api/runs");
    expect(list.status).toBe(200);
    expect(list.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(list.body.runs).toHaveLength(1);
    expect(list.body.runs[0]).toMatchObject({ run, status: "parked", workflow: "main", source: "main.flow", parked: { "approve:merge": 'approval "merge"' } });
    expect(list.body.runs[0]!.budget?.ceilings).toEqual({ tokens: null, usd: null, compute: 60_000, wall: null });
    expect(list.body.runs[0]!.budget?.spent.compute).toBeGreaterThanOrEqual(0);

    // As `flow status --json` prints it, and by a unique prefix as on the command line.
    const status = await call<RunSummary>(served, "GET", `/api/runs/${run.slice(0, 18)}`);
    expect(status.status).toBe(200);
    expect(status.body).toEqual(JSON.parse(p.flow("status", run, "--json").stdout));
    expect(status.body).toMatchObject({ run, status: "parked", vertices: { completed: 1 }, parked: { "approve:merge": 'approval "merge"' }, driver: null, result: null });

    const graph = await call<RunGraph>(served, "GET", `/api/runs/${run}/graph`);
    expect(graph.status).toBe(200);
    expect(graph.body.workflow).toBe("main");
    expect(graph.body.nodes.map((n) => n.id)).toEqual(["param:n", "vertex:plan", "barrier:approve:merge", "vertex:apply"]);
    expect(graph.body.edges).toContainEqual({ from: "param:n", to: "vertex:plan", kind: "data", fromList: false, values: [{ param: "n", type: "int" }] });
    expect(graph.body.instances).toEqual({ plan: [{ instance: "plan", status: "completed", attempt: 1 }] });
    expect(graph.body.barriers).toEqual({ passed: [], parked: { "approve:merge": 'approval "merge"' }, decided: {} });
    expect(graph.body.budget.compute).toBe(60_000);

    const all = await call<EntriesPage>(served, "GET", `/api/runs/${run}/entries`);
    expect(all.status).toBe(200);
    const exported = p.flow("export", run).stdout.trim().split("\n").map((t) => JSON.parse(t) as unknown);
    expect(all.body).toEqual({ run, entries: exported, next: exported.length - 1, more: false });
    const page = await call<EntriesPage>(served, "GET", `/api/runs/${run}/entries?after=1&limit=2`);
    expect(page.body.entries.map((e) => (e as { seq: number }).seq)).toEqual([2, 3]);
    expect(page.body).toMatchObject({ next: 3, more: true });
    const past = await call<EntriesPage>(served, "GET", `/api/runs/${run}/entries?after=999`);
    expect(past.body).toEqual({ run, entries: [], next: 999, more: false });
    for (const bad of ["after=x", "after=-2", "limit=0", "limit=1.5"]) {
      const refused = await call(served, "GET", `/api/runs/${run}/entries?${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.body.error.code).toBe("bad_param");
    }

    const vertex = await call<VertexDetail>(served, "GET", `/api/runs/${run}/vertices/plan`);
    expect(vertex.status).toBe(200);
    expect(vertex.body).toMatchObject({ run, instance: "plan", status: "completed", attempt: 1, inputs: { n: 3 }, output: "plan-3\n", failure: null, modelCalls: [], retries: [], checkpoints: [] });
    expect(vertex.body.steps).toEqual([expect.objectContaining({ outcome: "completed", index: 0, op: "std/sandbox:sh@1", args: { command: "echo plan-3" }, result: { exit: 0, stderr: "", stdout: "plan-3\n" } })]);
    expect(vertex.body.starts[0]?.sandbox).toMatchObject({ driver: "process", isolation: "none", effects: ["proc"] });
    expect(vertex.body.spend).toMatchObject({ instance: "plan", attempts: 1, outcome: "completed" });
    const unknownVertex = await call(served, "GET", `/api/runs/${run}/vertices/nope`);
    expect(unknownVertex.status).toBe(404);
    expect(unknownVertex.body.error.code).toBe("unknown_vertex");

    const receipt = await call<Receipt>(served, "GET", `/api/runs/${run}/receipt`);
    expect(receipt.status).toBe(200);
    expect(receipt.body.body).toMatchObject({ run, workflow: "main", status: "parked", head: { seq: exported.length - 1 } });
    expect(receipt.body.signer.name).toBe("runner");
    // Nothing written by a GET: the only receipt is the one `flow run` wrote when the run parked.
    expect(p.flow("receipt", "--verify", join(p.cwd, ".flow", "receipts", `${run}-${exported.length - 1}.json`)).code).toBe(0);

    const gates = await call<RunGates>(served, "GET", `/api/runs/${run}/gates`);
    expect(gates.status).toBe(200);
    expect(gates.body.decided).toEqual([]);
    expect(gates.body.open).toEqual([
      { instance: "approve:merge", waitingFor: 'approval "merge"', kind: "approval", name: "merge", show: "plan-3\n", timeoutAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), parkedAt: exported.length - 1 },
    ]);

    // Replay only reads: no token needed on loopback.
    const replay = await call<{ run: string } & ReplayVerdict>(served, "POST", `/api/runs/${run}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ run, kind: "identical", entries: exported.length });
  });

  it("answers 404 for an unknown run and route, 405 for a wrong method, 400 for an ambiguous id, never a stack", async () => {
    const { p, run } = parkedRun(gated);
    p.flow("run", "main.flow", "--arg", "n=4", "--sandbox", "process");
    const served = await start(p);
    for (const path of ["", "/graph", "/entries", "/vertices/plan", "/receipt", "/gates", "/events"]) {
      const reply = await call(served, "GET", `/api/runs/20990101-000000-000000${path}`);
      expect(reply.status, path).toBe(404);
      expect(reply.body).toEqual({ error: { code: "unknown_run", message: "no run `20990101-000000-000000` in this store", hint: "`GET /api/runs` lists the runs" } });
    }
    const unknownPost = await call(served, "POST", "/api/runs/20990101-000000-000000/replay");
    expect(unknownPost.status).toBe(404);
    expect((await call(served, "GET", "/api/nothing")).body.error.code).toBe("no_route");
    expect((await call(served, "GET", `/api/runs/${run}/frobnicate`)).status).toBe(404);
    const wrong = await call(served, "GET", `/api/runs/${run}/approve`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await call(served, "DELETE", `/api/runs/${run}`)).status).toBe(405);
    const ambiguous = await call(served, "GET", `/api/runs/${run.slice(0, 4)}`);
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error.code).toBe("ambiguous_run");
    expect(ambiguous.text).not.toMatch(/\bat .*\.(ts|mjs):\d+/);
  });

  it("serves the built web app from --static, its routes through index.html, and a hint when it is not built", async () => {
    const { p } = parkedRun(gated);
    const missing = await start(p, "--static", join(p.cwd, "no-such-dir"));
    const hint = await call(missing, "GET", "/");
    expect(hint.status).toBe(404);
    expect(hint.body.error).toMatchObject({ code: "no_web_app", hint: expect.stringContaining("npm run build") });
    await missing.stop();
    servers.splice(servers.indexOf(missing), 1);

    const web = join(p.cwd, "web");
    mkdirSync(join(web, "assets"), { recursive: true });
    writeFileSync(join(web, "index.html"), "<!doctype html><title>flow</title>");
    writeFileSync(join(web, "assets", "app.js"), "console.log(1)");
    writeFileSync(join(p.cwd, "secret.txt"), "no");
    const served = await start(p, "--static", web);
    const index = await call(served, "GET", "/");
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.text).toContain("<title>flow</title>");
    expect((await call(served, "GET", "/runs/abc")).text).toContain("<title>flow</title>");
    const script = await call(served, "GET", "/assets/app.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.text).toBe("console.log(1)");
    expect((await call(served, "GET", "/assets/missing.js")).status).toBe(404);
    expect((await call(served, "GET", "/..%2fsecret.txt")).status).toBe(404);
  });
});

describe("changing runs", () => {
  it("needs the token for every change; approval through the API, signed with a trusted server key, completes the parked run", async () => {
    const { p, run } = parkedRun(gated);
    const served = await start(p, "--holder", "alice");
    expect(served.token).toMatch(/^flow_[A-Za-z0-9_-]{43}$/);
    const tokens = join(p.cwd, ".flow", "serve", "tokens.json");
    expect(statSync(tokens).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokens, "utf8")).not.toContain(served.token!);
    const before = ledgerLength(p, run);

    for (const action of ["approve", "reject", "signal", "pause", "cancel", "resume"]) {
      const refused = await call(served, "POST", `/api/runs/${run}/${action}`, { body: {} });
      expect(refused.status, action).toBe(401);
      expect(refused.body.error.code).toBe("token_missing");
      expect(refused.body.error.message).toContain("needs a bearer token");
    }
    const unknown = await call(served, "POST", `/api/runs/${run}/approve`, { body: {}, token: "flow_not-a-token" });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("token_unknown");
    const notBearer = await fetch(`${served.url}/api/runs/${run}/approve`, { method: "POST", headers: { authorization: "Basic abc" } });
    expect(notBearer.status).toBe(401);
    expect(((await notBearer.json()) as { error: { code: string } }).error.code).toBe("bad_authorization");

    // The server's key is the runner key, which the project does not trust yet: refused, nothing recorded.
    const untrusted = await call(served, "POST", `/api/runs/${run}/approve`, { body: { gate: "merge" }, token: served.token });
    expect(untrusted.status).toBe(403);
    expect(untrusted.body.error.code).toBe("untrusted_key");
    expect(ledgerLength(p, run)).toBe(before);
    expect(p.flow("keys", "trust", "flow-serve", served.signingKey!).code).toBe(0);

    const badJson = await call(served, "POST", `/api/runs/${run}/approve`, { raw: "{gate:", token: served.token });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("bad_json");
    expect(badJson.body.error.message).toBe("the request's body is not JSON: at line 1, column 2: expected a string (a key), found `g`");
    const badBody = await call(served, "POST", `/api/runs/${run}/approve`, { body: { gate: "merge", extra: 1 }, token: served.token });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.code).toBe("bad_body");
    const wrongType = await call(served, "POST", `/api/runs/${run}/approve`, { body: { comment: 5 }, token: served.token });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toContain("`comment`");
    const notParked = await call(served, "POST", `/api/runs/${run}/approve`, { body: { gate: "deploy" }, token: served.token });
    expect(notParked.status).toBe(409);
    expect(notParked.body.error).toMatchObject({ code: "not_waiting", message: expect.stringContaining(`run ${run} is not waiting at deploy; it waits at approve:merge`) });
    expect(ledgerLength(p, run)).toBe(before);

    const approved = await call<ChangeOutcome>(served, "POST", `/api/runs/${run}/approve`, { body: { gate: "merge", comment: "looks right" }, token: served.token });
    expect(approved.status).toBe(202);
    expect(approved.body).toMatchObject({ run, outcome: "recorded", driving: true, said: `run ${run}: approved at approve:merge by alice (signed with runner's key)` });
    const done = await waitFor(served, run, (s) => s.status === "completed");
    expect(done.result).toBe("plan-3\n applied\n");

    const gates = await call<RunGates>(served, "GET", `/api/runs/${run}/gates`);
    expect(gates.body.open).toEqual([]);
    expect(gates.body.decided).toEqual([{ instance: "approve:merge", decision: "approve", comment: "looks right", by: { name: "alice", key: served.signingKey }, seq: expect.any(Number) }]);
    expect(p.flow("replay", run).stdout).toMatch(/^identical: /);

    // Decided once: the gate is closed now.
    const again = await call(served, "POST", `/api/runs/${run}/approve`, { body: {}, token: served.token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("not_waiting");
    expect((await call(served, "POST", `/api/runs/${run}/pause`, { token: served.token })).body.error.code).toBe("run_ended");
  });

  it("rejects at a gate through the API: the run fails there, attributed to the token's holder", async () => {
    const { p, run } = parkedRun(gated);
    const served = await start(p, "--holder", "bob");
    p.flow("keys", "trust", "flow-serve", served.signingKey!);
    const rejected = await call<ChangeOutcome>(served, "POST", `/api/runs/${run}/reject`, { body: { comment: "not now" }, token: served.token });
    expect(rejected.status).toBe(202);
    const failed = await waitFor(served, run, (s) => s.status === "failed");
    expect(failed.failures[0]?.failure.message).toContain('the gate "merge" was rejected by bob: not now');
  });

  it("delivers a signal's value checked against its type: a wrong one is a 400 saying what is wrong, with nothing recorded", async () => {
    const { p, run } = parkedRun(signalled, 7);
    const served = await start(p);
    const before = ledgerLength(p, run);
    const wrong = await call(served, "POST", `/api/runs/${run}/signal`, { body: { name: "review", data: { verdict: "maybe", notes: "x" } }, token: served.token });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toEqual({
      code: "invalid_signal_value",
      message: 'the value does not fit `Review`, the type of the signal "review": in it, `verdict` is "maybe", not one of "approve", "revise"',
      hint: "nothing was recorded; send a value of the declared type",
    });
    const noData = await call(served, "POST", `/api/runs/${run}/signal`, { body: { name: "review" }, token: served.token });
    expect(noData.status).toBe(400);
    expect(noData.body.error.code).toBe("bad_body");
    const other = await call(served, "POST", `/api/runs/${run}/signal`, { body: { name: "other", data: 1 }, token: served.token });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("not_waiting");
    const gate = await call(served, "POST", `/api/runs/${run}/approve`, { body: {}, token: served.token });
    expect(gate.status).toBe(409);
    expect(gate.body.error.message).toBe(`run ${run} is not waiting for any gate`);
    expect(ledgerLength(p, run)).toBe(before);

    const sent = await call<ChangeOutcome>(served, "POST", `/api/runs/${run}/signal`, { body: { name: "review", data: { verdict: "approve", notes: "ship it" } }, token: served.token });
    expect(sent.status).toBe(202);
    const done = await waitFor(served, run, (s) => s.status === "completed");
    expect(done.result).toBe("plan-7\n approve: ship it");
    expect(p.flow("replay", run).code).toBe(0);
  });

  it("pauses, resumes (with a fresh envelope) and cancels a run", async () => {
    const { p, run } = parkedRun(gated);
    const served = await start(p, "--holder", "carol");
    const paused = await call<ChangeOutcome>(served, "POST", `/api/runs/${run}/pause`, { token: served.token });
    expect(paused.status).toBe(202);
    expect(paused.body.outcome).toBe("recorded");
    await waitFor(served, run, (s) => s.status === "paused");
    const twice = await call<ChangeOutcome>(served, "POST", `/api/runs/${run}/pause`, { token: served.token });
    expect(twice.body).toEqual({ run, outcome: "unchanged", said: `run ${run} is paused already` });

    const badBudget = await call(served, "POST", `/api/runs/${run}/resume`, { body: { budget: "compute=lots" }, token: served.token });
    expect(badBudget.status).toBe(400);
    expect(badBudget.body.error.code).toBe("bad_budget");
    const resumed = await call<ChangeOutcome>(served, "POST", `/api/runs/${run}/resume`, { body: { budget: "compute=2m" }, token: served.token });
    expect(resumed.status).toBe(202);
    const parked = await waitFor(served, run, (s) => s.status === "parked");
    expect(parked.parked).toEqual({ "approve:merge": 'approval "merge"' });
    const kinds = p.flow("export", run).stdout.trim().split("\n").map((t) => JSON.parse(t) as { kind: string; data: { by?: string } });
    expect(kinds.filter((e) => ["run.paused", "run.unpaused", "budget.set"].includes(e.kind)).map((e) => [e.kind, e.data.by])).toEqual([
      ["run.paused", "carol"],
      ["run.unpaused", "carol"],
      ["budget.set", "carol"],
    ]);
    const list = await call<{ runs: RunRow[] }>(served, "GET", "/api/runs");
    expect(list.body.runs[0]?.budget?.ceilings.compute).toBe(120_000);

    const cancelled = await call<ChangeOutcome>(served, "POST", `/api/runs/${run}/cancel`, { token: served.token });
    expect(cancelled.status).toBe(202);
    await waitFor(served, run, (s) => s.status === "cancelled");
    const late = await call(served, "POST", `/api/runs/${run}/resume`, { token: served.token });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("run_ended");
    expect(p.flow("replay", run).code).toBe(0);
  });
});

describe("fan-outs", () => {
  it("shows each item's instance and decides at a gate clause per item, named by its instance", async () => {
    const p = project(reviewedItems);
    const started = p.flow("run", "main.flow", "--arg", "ns=[1,2]", "--sandbox", "process");
    expect(started.code, started.stderr).toBe(0);
    const run = runIdOf(started.stderr);
    const served = await start(p, "--holder", "frank");
    p.flow("keys", "trust", "flow-serve", served.signingKey!);

    const graph = await call<RunGraph>(served, "GET", `/api/runs/${run}/graph`);
    const fanOut = graph.body.body.find((item) => item.kind === "fanOut");
    expect(fanOut?.kind === "fanOut" ? [fanOut.fanOut.bound, fanOut.fanOut.concurrency] : null).toEqual([4, 2]);
    expect(Object.values(graph.body.fanOuts)).toEqual([2]);
    expect(graph.body.instances["draft"]?.map((i) => i.instance).sort()).toEqual(["draft[0]", "draft[1]"]);

    const item = await call<VertexDetail>(served, "GET", `/api/runs/${run}/vertices/${encodeURIComponent("draft[1]")}`);
    expect(item.status).toBe(200);
    expect(item.body).toMatchObject({ instance: "draft[1]", inputs: { n: 2 }, output: "draft-2\n" });

    const gates = await call<RunGates>(served, "GET", `/api/runs/${run}/gates`);
    expect(gates.body.open.map((g) => [g.instance, g.name, g.show]).sort()).toEqual([
      // A node's gate shows its approvers the item's result.
      ["draft[0]", "review", "draft-1\n"],
      ["draft[1]", "review", "draft-2\n"],
    ]);
    const ambiguous = await call(served, "POST", `/api/runs/${run}/approve`, { body: { gate: "review" }, token: served.token });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error.message).toMatch(/the gate "review" is open at 2 places/);
    expect((await call(served, "POST", `/api/runs/${run}/approve`, { body: { gate: "draft[1]" }, token: served.token })).status).toBe(202);
    await waitFor(served, run, (s) => s.status === "parked" && Object.keys(s.parked).length === 1);
    expect((await call(served, "POST", `/api/runs/${run}/approve`, { body: { gate: "draft[0]" }, token: served.token })).status).toBe(202);
    const done = await waitFor(served, run, (s) => s.status === "completed");
    expect(done.result).toEqual(["draft-1\n", "draft-2\n"]);
    expect(p.flow("replay", run).code).toBe(0);
  });
});

describe("the timer loop", () => {
  // `--park-after 0s`: the run parks at its timer, and the process that ran it exits; only the server's loop is left to fire it.
  it("fires a due sleep, as flow tick would, and the run completes", async () => {
    const program = `${steps}
workflow main(n: int) -> string
  budget { compute: 1m }
  grants { proc }
{
  let p = plan(n)
  sleep 1s
  return apply(p)
}`;
    const { p, run } = parkedRun(program, 5, "--park-after", "0s");
    const served = await start(p);
    const done = await waitFor(served, run, (s) => s.status === "completed");
    expect(done.result).toBe("plan-5\n applied\n");
    expect(served.stderr()).toContain(`run ${run}: a timer was due; driving it on`);
    expect(p.flow("replay", run).code).toBe(0);
  });

  it("applies a gate's default when its timeout passes, and the gates say so", async () => {
    const { p, run } = parkedRun(gated.replace("timeout 7d default reject", "timeout 1s default approve"), 6, "--park-after", "0s");
    const served = await start(p);
    const done = await waitFor(served, run, (s) => s.status === "completed");
    expect(done.result).toBe("plan-6\n applied\n");
    const gates = await call<RunGates>(served, "GET", `/api/runs/${run}/gates`);
    expect(gates.body.decided).toEqual([{ instance: "approve:merge", decision: "approve", comment: null, by: null, seq: expect.any(Number) }]);
  });
});

describe("starting runs", () => {
  it("starts a run for a token's holder, checked as flow run checks it; every refusal says why and records nothing", async () => {
    const p = project(gated);
    const served = await start(p);
    writeFileSync(join(p.cwd, "broken.flow"), "workflow main() -> int {\n  return \"text\"\n}\n");
    mkdirSync(join(p.cwd, "sub"));
    writeFileSync(join(p.cwd, "sub", "two.flow"), `${steps}\nworkflow a() -> string budget { compute: 1m } grants { proc } { return plan(1) }\nworkflow b() -> string budget { compute: 1m } grants { proc } { return plan(2) }\n`);

    const refusals: [unknown, string | null, number, string, RegExp][] = [
      [{ source: "main.flow", args: { n: 3 } }, null, 401, "token_missing", /needs a bearer token/],
      [{ source: "../main.flow", args: { n: 3 } }, "token", 400, "outside_project", /outside it/],
      [{ source: "/etc/passwd" }, "token", 400, "outside_project", /outside it/],
      [{ source: "nope.flow" }, "token", 404, "no_such_file", /no file `nope.flow`/],
      [{ source: "broken.flow" }, "token", 422, "does_not_compile", /error\[FL\d{4}\][\s\S]*broken\.flow:2:/],
      [{ source: "main.flow", workflow: "other", args: { n: 3 } }, "token", 400, "bad_request", /has no workflow `other`/],
      [{ source: "sub/two.flow" }, "token", 400, "bad_request", /declares 2 workflows: name the one to run/],
      [{ source: "main.flow" }, "token", 400, "bad_request", /missing the argument `n`/],
      [{ source: "main.flow", args: { n: "three" } }, "token", 400, "bad_request", /the argument `n`/],
      [{ source: "main.flow", args: { n: 3, m: 1 } }, "token", 400, "bad_request", /has no parameter `m`/],
      [{ source: "main.flow", args: { n: 3 }, sandbox: "vm" }, "token", 400, "bad_body", /sandbox/],
      [{ source: 3 }, "token", 400, "bad_body", /source/],
    ];
    for (const [body, token, status, code, message] of refusals) {
      const reply = await call(served, "POST", "/api/runs", { body, token: token === null ? null : served.token });
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(reply.body.error.code, JSON.stringify(body)).toBe(code);
      expect(reply.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    expect((await call<{ runs: RunRow[] }>(served, "GET", "/api/runs")).body.runs).toEqual([]);
    const put = await call(served, "PUT", "/api/runs");
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");

    const started = await call<StartedRun>(served, "POST", "/api/runs", { body: { source: "./main.flow", args: { n: 5 }, sandbox: "process" }, token: served.token });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ workflow: "main", source: "main.flow", said: expect.stringContaining("started by") });
    const run = started.body.run;
    // Driven here, in the server, until it parks at its gate; `flow status` in the project sees the same run.
    const parked = await waitFor(served, run, (s) => s.status === "parked");
    expect(parked.parked).toEqual({ "approve:merge": 'approval "merge"' });
    const first = JSON.parse(p.flow("export", run).stdout.split("\n")[0]!) as { data: { args: unknown; options: unknown } };
    expect(first.data.args).toEqual({ n: 5 });
    expect(first.data.options).toEqual({ concurrency: 16, sandbox: "process" });
    expect(p.flow("status", run).code).toBe(0);
    expect(p.flow("replay", run).code).toBe(0);
  });
});
