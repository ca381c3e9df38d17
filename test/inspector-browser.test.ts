import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../cli/commands/status.ts";
import { launchChromium } from "./support/chromium.ts";
import type { StartedRun } from "../playground/server/run-starts.ts";
import { call, project, type Project, serve, type Served, waitFor } from "./serve-harness.ts";

/**
 * The run inspector (playground/runs.html) in Debian's Chromium, against
 * the real `flow serve` on a project's SQLite store: a real run, started
 * from the page, is watched live as its fan-out's items complete one by
 * one (each waits for a file the test writes, so the page sees every step
 * whatever the load), then approved at its gate from the page and driven
 * to its end by the server.
 */

const screenshots = resolve("test/screenshots");

const program = `
import { sh } from "std/sandbox"

node check(pkg: string, dir: string) -> string
  effects { proc }
  budget  { compute: 30s }
{
  let r = sh("until [ -e \${dir}/\${pkg} ]; do sleep 0.05; done; echo checked-\${pkg}")
  return r.stdout
}

node ship(results: List<string>) -> string
  effects { proc }
  budget  { compute: 10s }
{
  let r = sh("echo shipped")
  return r.stdout
}

workflow release(pkgs: List<string, max 8>, dir: string) -> string
  budget { compute: 5m }
  grants { proc }
{
  let checked = for pkg in pkgs concurrency 2 { check(pkg, dir) }
  approve "ship" show checked timeout 7d default reject
  return ship(checked)
}
`;

let browser: Browser;
let p: Project;
let served: Served;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  p = project(program);
  served = await serve(p);
  expect(p.flow("keys", "trust", "flow-serve", served.signingKey!).code).toBe(0);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function openPage(path: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${served.url}${path}`);
  return { page, errors };
}

/** An agent answered by a scripted model, and a node whose first attempt always fails and is retried. */
const agentAndRetry = `
import { sh } from "std/sandbox"

type Summary = { title: string, words: int }

agent summarize(text: string) -> Summary
  models  ["anthropic:claude-sonnet-4-5"]
  effects { llm }
  budget  { tokens: 50k, usd: 1.00 }
  prompt  """
    Summarize: \${text}
  """

node flaky(dir: string) -> string
  effects { proc }
  budget  { compute: 10s }
  retry   2 on [Unlucky]
{
  let r = sh("if [ -e \${dir}/tried ]; then echo second; else touch \${dir}/tried; echo first; fi")
  if r.stdout == "first\\n" { fail Unlucky("the first attempt always fails") }
  return r.stdout
}

workflow main(dir: string) -> string
  budget { tokens: 100k, usd: 2, compute: 1m }
  grants { llm, proc }
{
  let s = summarize("hello world")
  let f = flaky(dir)
  return "\${s.title} \${f}"
}
`;

const summarizeScript = { answers: [{ agent: "summarize", turn: 1, match: "Summarize: (.*)", reply: { finish: { title: "Hello", words: 2 }, usage: { input: 1200, output: 80 } } }] };

const detailOf = (page: Page, node: string) => page.locator(`g[data-node="${node}"] .node-detail`);

describe("the run inspector", () => {
  it("starts a run, shows its vertices turn green live, refuses a decision without the token, and approves its gate with one", async () => {
    const gateDir = mkdtempSync(join(tmpdir(), "flow-inspector-"));
    const pkgs = ["api", "web", "cli", "docs"];
    const { page, errors } = await openPage("/runs.html");

    // Started from the runs list's form: refused without the token, in the server's words; started with it.
    await page.fill('.start-form input[name="source"]', "main.flow");
    await page.fill('.start-form textarea[name="args"]', JSON.stringify({ pkgs, dir: gateDir }));
    await page.selectOption('.start-form select[name="sandbox"]', "process");
    await page.click('.start-form button[type="submit"]');
    await expect.poll(() => page.locator(".start-said .refused").textContent()).toContain("needs a bearer token");
    expect((await call<{ runs: unknown[] }>(served, "GET", "/api/runs")).body.runs).toEqual([]);
    await page.fill("#token", served.token!);
    await page.click("#token-save");
    await page.click('.start-form button[type="submit"]');
    await page.locator(".run-view").waitFor({ timeout: 30_000 });
    const run = new URLSearchParams(new URL(page.url()).hash.slice(1)).get("run")!;
    expect(run).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);

    // Two items at a time run, none done: the fan-out's vertex is running and counts them.
    const check = page.locator('g[data-node="vertex:check"]');
    await expect.poll(() => check.getAttribute("data-state"), { timeout: 30_000 }).toBe("running");
    await expect.poll(() => detailOf(page, "vertex:check").textContent(), { timeout: 30_000 }).toBe("0/4 done · 2 running");
    expect(await page.locator('g[data-node="vertex:ship"]').getAttribute("data-state")).toBe("waiting");

    // Each file the test writes lets one item finish: the page follows the stream, one item at a time.
    for (const [i, pkg] of pkgs.entries()) {
      writeFileSync(join(gateDir, pkg), "");
      await expect.poll(() => detailOf(page, "vertex:check").textContent(), { timeout: 30_000 }).toMatch(new RegExp(`^${i + 1}/4 done`));
    }
    await expect.poll(() => check.getAttribute("data-state"), { timeout: 30_000 }).toBe("done");
    expect(await page.locator('g[data-node="param:pkgs"]').getAttribute("data-state")).toBe("done");

    // The run parks at its gate.
    const card = page.locator('.gate-card[data-instance="approve:ship"]');
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('g[data-node="barrier:approve:ship"]').getAttribute("data-state")).toBe("parked");
    expect(await card.locator(".gate-show").textContent()).toContain("checked-docs");

    // The token forgotten, the server refuses a decision, and the card says why in its words; nothing is recorded.
    await page.click("#token-save");
    expect(await page.locator("#token-state").textContent()).toBe("read-only: no token");
    await card.locator("button.approve").click();
    await expect.poll(() => card.locator(".said.refused").textContent()).toContain("needs a bearer token");
    expect((await call<RunSummary>(served, "GET", `/api/runs/${run}`)).body.status).toBe("parked");

    // With the token: approved, signed by the server, attributed to the token's holder, and driven to the end by the server.
    await page.fill("#token", served.token!);
    await page.click("#token-save");
    await card.locator(".comment").fill("all four checked");
    await card.locator("button.approve").click();
    await page.locator('.run-view[data-status="completed"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('g[data-node="vertex:ship"]').getAttribute("data-state"), { timeout: 30_000 }).toBe("done");
    expect(await page.locator('g[data-node="barrier:approve:ship"]').getAttribute("data-state")).toBe("done");
    const decided = page.locator(".decided-list li");
    expect(await decided.textContent()).toMatch(/approved at approve:ship by \S+ \(key .*\)“?all four checked/);
    expect(await page.locator(".run-result").textContent()).toBe("result: shipped");

    // A run that has ended is replayed on the server once, and the badge says it replays byte for byte.
    const badge = page.locator('.replay-badge[data-verdict="identical"]');
    await badge.waitFor({ timeout: 30_000 });
    const summary = await waitFor(served, run, (s) => s.status === "completed");
    expect(await badge.textContent()).toBe(`✓ replays byte for byte (${summary.entries} entries)`);

    // The vertex inspector: a node of the DAG chosen, its instance's inputs, output, sandbox and steps.
    await page.click('g[data-node="vertex:ship"]');
    const panel = page.locator('.vertex-panel[data-instance="ship"]');
    await panel.waitFor();
    expect(await panel.textContent()).toContain("checked-api");
    expect(await panel.locator('.field[data-field="output"]').locator("pre").textContent()).toBe("shipped\n");
    expect(await panel.locator(".sandbox").textContent()).toContain("process");
    expect(await panel.locator(".steps li").count()).toBe(1);
    await page.click('g[data-node="vertex:check"]');
    await page.locator('.vertex-panel[data-instance="check[0]"]').waitFor();
    await page.locator(".instance-picker select").selectOption("check[3]");
    await page.locator('.vertex-panel[data-instance="check[3]"]').waitFor();
    expect(await page.locator(".vertex-panel").textContent()).toContain('"pkg": "docs"');

    // The timeline has every entry, in order.
    const seqs = await page.locator(".timeline-rows li").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-seq"))));
    expect(seqs).toEqual([...Array(summary.entries).keys()]);
    await page.screenshot({ path: join(screenshots, "inspector-run.png") });

    // The runs list: the run, its status, its spend against the compute ceiling.
    await page.goto(`${served.url}/runs.html`);
    const row = page.locator(`tr[data-run="${run}"]`);
    await row.waitFor();
    expect(await row.locator(".status-badge").textContent()).toBe("completed");
    expect(await row.locator('.gauge[data-unit="compute"] .gauge-text').textContent()).toMatch(/ of 5m · \d+%$/);
    await page.screenshot({ path: join(screenshots, "inspector-runs.png") });
    await row.locator("a").click();
    await page.locator(`.run-view[data-run="${run}"][data-status="completed"]`).waitFor();

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows an agent's model calls with tokens and dollars, and a node's retries with their reasons", async () => {
    const other = project(agentAndRetry);
    writeFileSync(join(other.cwd, "script.json"), JSON.stringify(summarizeScript));
    const dir = mkdtempSync(join(tmpdir(), "flow-inspector-retry-"));
    const server = await serve(other);
    try {
      const started = await call<StartedRun>(server, "POST", "/api/runs", { body: { source: "main.flow", args: { dir }, sandbox: "process", script: "script.json" }, token: server.token });
      expect(started.status).toBe(201);
      const run = started.body.run;
      await waitFor(server, run, (s) => s.status === "completed");
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${server.url}/runs.html#run=${run}`);
      await page.locator('.run-view[data-status="completed"]').waitFor({ timeout: 30_000 });

      await page.click('g[data-node="vertex:summarize"]');
      const agent = page.locator('.vertex-panel[data-instance="summarize"]');
      await agent.waitFor();
      const call0 = agent.locator('.field[data-field="model"]').locator("tbody tr");
      expect(await call0.count()).toBe(1);
      expect(await call0.locator("td").allTextContents()).toEqual(["1", "1", "anthropic:claude-sonnet-4-5", "", "1280", expect.stringMatching(/^\$0\.\d{4}$/)]);
      expect(await agent.locator('.field[data-field="output"]').locator("pre").textContent()).toContain('"title": "Hello"');

      await page.click('g[data-node="vertex:flaky"]');
      const flaky = page.locator('.vertex-panel[data-instance="flaky"]');
      await flaky.waitFor();
      expect(await flaky.locator("h3").textContent()).toContain("attempt 2");
      expect(await flaky.locator('.field[data-field="retries"]').locator("tbody td").allTextContents()).toEqual(["2", "Unlucky: the first attempt always fails", "0 ms"]);
      expect(await flaky.locator(".steps li").count()).toBe(2);
      expect(await page.locator('.gauge[data-unit="tokens"] .gauge-text').textContent()).toBe("1.28k tokens of 100k tokens · 1%");
      await page.screenshot({ path: join(screenshots, "inspector-vertex.png") });
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.stop();
    }
  });

  it("opens from the link flow serve prints beyond loopback: the token kept for the API, taken out of the address bar", async () => {
    const other = project(program);
    const server = await serve(other, "--host", "0.0.0.0");
    try {
      const url = server.url.replace("0.0.0.0", "127.0.0.1");
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${url}/runs.html?token=${encodeURIComponent(server.token!)}`);
      await page.locator(".runs-table p", { hasText: "No runs in this store yet" }).waitFor({ timeout: 30_000 });
      expect(page.url()).toBe(`${url}/runs.html`);
      expect(await page.locator("#token-state").textContent()).toBe("token set");
      // Without the link, the same server lets a browser load nothing.
      const bare = await (await browser.newContext()).newPage();
      expect((await bare.goto(`${url}/runs.html`))?.status()).toBe(401);
      await bare.context().close();
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await server.stop();
    }
  });
});
