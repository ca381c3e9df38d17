import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { RunRow } from "../playground/server/run-list.ts";
import { call, EventReader, gated, project, runIdOf, serve, type Served } from "./serve-harness.ts";

/**
 * Who may ask `flow serve` what: tokens are made once and shown once; on
 * loopback reads are open and changes need a token; bound beyond it,
 * everything needs one; a page on another name cannot reach a loopback
 * server through DNS rebinding.
 */

const servers: Served[] = [];
afterEach(async () => {
  for (const served of servers.splice(0)) await served.stop();
});

/** A GET with a Host header of our choosing (fetch will not send one). */
function getWithHost(served: Served, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${served.url}${path}`, { headers: { host } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("tokens", () => {
  it("are made on first start and shown once; --add-token makes another for a named holder", async () => {
    const p = project(gated);
    const first = await serve(p);
    expect(first.token).not.toBeNull();
    expect(first.stderr()).toMatch(/a token for \S+, shown this once/);
    await first.stop();

    const second = await serve(p);
    servers.push(second);
    expect(second.token).toBeNull();
    expect(second.stderr()).not.toContain("a token for");

    const added = p.flow("serve", "--add-token", "erin");
    expect(added.code, added.stderr).toBe(0);
    const token = added.stdout.trim();
    expect(token).toMatch(/^flow_/);
    const run = runIdOf(p.flow("run", "main.flow", "--arg", "n=2", "--sandbox", "process").stderr);
    // Both tokens work; erin's is erin's.
    expect((await call(second, "POST", `/api/runs/${run}/pause`, { token: first.token })).status).toBe(202);
    expect((await call(second, "POST", `/api/runs/${run}/resume`, { token })).status).toBe(202);
    const kinds = p.flow("export", run).stdout.trim().split("\n").map((t) => JSON.parse(t) as { kind: string; data: { by?: string } });
    expect(kinds.find((e) => e.kind === "run.unpaused")?.data.by).toBe("erin");
  });
});

describe("beyond loopback", () => {
  it("needs the token for everything, reads and streams included", async () => {
    const p = project(gated);
    const run = runIdOf(p.flow("run", "main.flow", "--arg", "n=2", "--sandbox", "process").stderr);
    const served = await serve(p, "--host", "0.0.0.0");
    servers.push(served);
    expect(served.stderr()).toContain("beyond loopback, every request needs a token");
    const local = { ...served, url: served.url.replace("0.0.0.0", "127.0.0.1") };

    for (const path of ["/api/runs", `/api/runs/${run}`, `/api/runs/${run}/graph`, "/"]) {
      const refused = await call(local, "GET", path);
      expect(refused.status, path).toBe(401);
      expect(refused.body.error).toMatchObject({ code: "token_missing", message: "a request to a server that listens beyond loopback needs a bearer token, and this request has none" });
    }
    expect((await call(local, "POST", `/api/runs/${run}/replay`)).status).toBe(401);
    const list = await call<{ runs: RunRow[] }>(local, "GET", "/api/runs", { token: served.token });
    expect(list.status).toBe(200);
    expect(list.body.runs[0]?.run).toBe(run);

    expect((await EventReader.open(local, `/api/runs/${run}/events`)).status).toBe(401);
    // EventSource sends no headers: a stream takes the token as `?token=`.
    const stream = await EventReader.open(local, `/api/runs/${run}/events?token=${encodeURIComponent(served.token!)}`);
    expect(stream.status).toBe(200);
    await stream.reader!.until((r) => r.entries().length > 0);
    await stream.reader!.close();

    // A browser opens the web app from the link flow serve prints: the page sets a cookie its own files are loaded with.
    expect(served.stderr()).toContain(`open the runs in a browser as ${served.url}/runs.html?token=${served.token}`);
    const page = await fetch(`${local.url}/runs.html?token=${encodeURIComponent(served.token!)}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^flow_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(await page.text())![1]!;
    const withCookie = { headers: { cookie: cookie.split(";")[0]! } };
    expect((await fetch(`${local.url}/${asset}`, withCookie)).status).toBe(200);
    expect((await fetch(`${local.url}/${asset}`)).status).toBe(401);
    expect((await fetch(`${local.url}/${asset}`, { headers: { cookie: "flow_token=flow_forged" } })).status).toBe(401);
    expect((await fetch(`${local.url}/runs.html?token=flow_forged`)).status).toBe(401);
    // The cookie opens the web app's files only: other sites' requests carry cookies, so the API never takes one.
    expect((await fetch(`${local.url}/api/runs`, withCookie)).status).toBe(401);
  });
});

describe("on loopback", () => {
  it("refuses a request for another host name, which only a rebound DNS name would send", async () => {
    const p = project(gated);
    const served = await serve(p);
    servers.push(served);
    const port = new URL(served.url).port;
    expect((await getWithHost(served, "/api/runs", `localhost:${port}`)).status).toBe(200);
    const rebound = await getWithHost(served, "/api/runs", `evil.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: "host_refused" } });
  });
});
