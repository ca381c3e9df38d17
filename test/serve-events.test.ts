import { afterEach, describe, expect, it } from "vitest";
import { call, EventReader, gated, project, runIdOf, serve, type Served } from "./serve-harness.ts";

/**
 * `GET /api/runs/:id/events`: the run's ledger as Server-Sent Events, an
 * entry an event with its seq as the id; resumable from Last-Event-ID;
 * entries another process records appear on an open stream; an idle
 * stream sends heartbeats; a client that goes leaves the server serving.
 */

const servers: Served[] = [];
afterEach(async () => {
  for (const served of servers.splice(0)) await served.stop();
});

describe("the event stream", () => {
  it("delivers every entry with its seq as the id, resumes after Last-Event-ID, and shows what another process records, live", async () => {
    const p = project(gated);
    const started = p.flow("run", "main.flow", "--arg", "n=3", "--sandbox", "process");
    expect(started.code, started.stderr).toBe(0);
    const run = runIdOf(started.stderr);
    const recorded = p.flow("export", run).stdout.trim().split("\n").length;
    const served = await serve(p);
    servers.push(served);

    const opened = await EventReader.open(served, `/api/runs/${run}/events`);
    expect(opened.status).toBe(200);
    expect(opened.contentType).toBe("text/event-stream; charset=utf-8");
    const stream = opened.reader!;
    await stream.until((r) => r.entries().length === recorded);
    expect(stream.entries().map((e) => [e.id, e.seq])).toEqual([...Array(recorded).keys()].map((i) => [i, i]));
    expect(stream.entries()[0]?.kind).toBe("run.started");
    expect(stream.entries().at(-1)?.kind).toBe("run.parked");
    // Idle now: heartbeats (every 300 ms here) keep it alive.
    await stream.until((r) => r.events.some((e) => e.comment === "heartbeat"));

    // Decided in another process (`flow approve`, with a key of its own): the open stream sees the entries it records.
    expect(p.flow("keys", "init", "--name", "dana", "--trust").code).toBe(0);
    const approved = p.flow("approve", run, "merge");
    expect(approved.code, approved.stderr).toBe(0);
    await stream.until((r) => r.entries().at(-1)?.kind === "run.completed");
    const all = stream.entries();
    expect(all.map((e) => e.seq)).toEqual([...Array(all.length).keys()]);
    expect(all.map((e) => e.kind)).toContain("gate.decided");
    await stream.close();

    // A reconnecting EventSource sends the last id it saw: the stream goes on from the entry after it.
    const resumed = (await EventReader.open(served, `/api/runs/${run}/events`, { "last-event-id": String(recorded - 1) })).reader!;
    await resumed.until((r) => r.entries().at(-1)?.kind === "run.completed");
    expect(resumed.entries()[0]?.id).toBe(recorded);
    expect(resumed.entries().map((e) => e.seq)).toEqual(all.slice(recorded).map((e) => e.seq));
    await resumed.close();
    const after = (await EventReader.open(served, `/api/runs/${run}/events?after=${all.length - 2}`)).reader!;
    await after.until((r) => r.entries().length === 1);
    expect(after.entries()[0]?.kind).toBe("run.completed");
    await after.close();

    const bad = await EventReader.open(served, `/api/runs/${run}/events`, { "last-event-id": "later" });
    expect(bad.status).toBe(400);
    expect((await EventReader.open(served, "/api/runs/20990101-000000-000000/events")).status).toBe(404);

    // The clients that went were let go: the server still answers, and stops cleanly.
    expect((await call(served, "GET", "/api/runs")).status).toBe(200);
    const stopped = await servers.pop()!.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain("flow serve: stopping");
  });

  it("ends open streams when the server stops", async () => {
    const p = project(gated);
    const run = runIdOf(p.flow("run", "main.flow", "--arg", "n=1", "--sandbox", "process").stderr);
    const served = await serve(p);
    const stream = (await EventReader.open(served, `/api/runs/${run}/events`)).reader!;
    await stream.until((r) => r.entries().length > 0);
    const stopped = await served.stop();
    expect(stopped.code).toBe(0);
    await stream.close();
  });
});
