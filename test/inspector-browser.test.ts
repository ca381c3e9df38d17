import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../cli/commands/status.ts";
import { launchChromium } from "./support/chromium.ts";
import { binary } from "./support/run-cli.ts";
import { call, project, type Project, serve, type Served, waitFor } from "./serve-harness.ts";

/**
 * The run inspector (playground/runs.html) in Debian's Chromium, against
 * the real `flow serve` on a project's SQLite store: a real run, started
 * by `flow run` in another process, is watched live from the page as its
 * fan-out's items complete one by one (each waits for a file the test
 * writes, so the page sees every step whatever the load), then approved
 * at its gate from the page and driven to its end by the server.
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

/** Starts `flow run` as a user would in another terminal, and gives its run id once it prints it. */
async function startRun(pkgs: readonly string[], dir: string): Promise<{ run: string; child: ChildProcess }> {
  const child = spawn(binary, ["run", "main.flow", "--arg", `pkgs=${JSON.stringify(pkgs)}`, "--arg", `dir=${dir}`, "--sandbox", "process"], {
    cwd: p.cwd,
    env: { ...(process.env as Record<string, string>), ...p.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const started = Date.now();
  for (;;) {
    const run = /^run (\d{8}-\d{6}-[0-9a-f]{6})/m.exec(stderr)?.[1];
    if (run !== undefined) return { run, child };
    if (child.exitCode !== null || Date.now() - started > 30_000) throw new Error(`flow run did not start: ${stderr}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

async function openPage(path: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${served.url}${path}`);
  return { page, errors };
}

const detailOf = (page: Page, node: string) => page.locator(`g[data-node="${node}"] .node-detail`);

describe("the run inspector", () => {
  it("shows a run's vertices turn green live, refuses a decision without the token, and approves its gate with one", async () => {
    const gateDir = mkdtempSync(join(tmpdir(), "flow-inspector-"));
    const pkgs = ["api", "web", "cli", "docs"];
    const { run, child } = await startRun(pkgs, gateDir);
    const { page, errors } = await openPage(`/runs.html#run=${run}`);

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

    // The run parks at its gate; `flow run` lets it go.
    const card = page.locator('.gate-card[data-instance="approve:ship"]');
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('g[data-node="barrier:approve:ship"]').getAttribute("data-state")).toBe("parked");
    expect(await card.locator(".gate-show").textContent()).toContain("checked-docs");
    await new Promise<void>((done) => (child.exitCode !== null ? done() : child.on("exit", () => done())));
    expect(child.exitCode).toBe(0);

    // Without a token the server refuses, and the card says why in its words; nothing is recorded.
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
    expect(await panel.locator(".field", { hasText: "output" }).locator("pre").textContent()).toBe("shipped\n");
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
    expect(await row.locator('.gauge[data-unit="compute"] .gauge-text').textContent()).toMatch(/ of 300\.0 s · \d+%$/);
    await page.screenshot({ path: join(screenshots, "inspector-runs.png") });
    await row.locator("a").click();
    await page.locator(`.run-view[data-run="${run}"][data-status="completed"]`).waitFor();

    expect(errors).toEqual([]);
    await page.context().close();
  });
});
