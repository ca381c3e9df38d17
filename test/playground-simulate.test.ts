import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic, type StaticSite } from "./support/static-site.ts";

// The Simulate button of the built playground (dist/playground/, made by
// the build every test run starts with) in Debian's Chromium, headless:
// an example with a fan-out and a gate runs in the page's worker through
// the interpreter's core, its DAG coloured as it goes, the gate approved
// by a click. The screenshot lands in test/screenshots/.

const site = resolve("dist/playground");
const screenshots = resolve("test/screenshots");
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

let browser: Browser;
let server: StaticSite;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  server = await serveStatic(site);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: chromiumArgs });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Each drawn node's `data-state`, by its `data-node`. */
async function nodeStates(page: Page): Promise<Record<string, string>> {
  return page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll("svg.dag g[data-node]")].map((g) => [g.dataset.node, g.dataset.state ?? ""]))`);
}

describe("the playground's simulation in a browser", { timeout: 120_000 }, () => {
  it("simulates an example with a fan-out and a gate: nodes turn green, the gate waits for a click, the run completes", async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector("body[data-state=ready]", { timeout: 45_000 });
    await page.selectOption("#examples", "examples/monorepo-to-turbo.flow");
    await page.locator("#workflows button[aria-pressed=true]", { hasText: "monorepo_to_turbo" }).waitFor();
    await page.selectOption("#simulate-speed", "fast");
    await page.click("#simulate-run");

    // The run goes on until the gate: everything above it is done, the fan-outs counted, the gate parked.
    const approve = page.locator('#simulate-waits button[data-answer="approve"]');
    await page.waitForSelector('#simulate[data-status="waiting"]', { timeout: 60_000 });
    expect(await page.textContent("#simulate-waits")).toContain('waiting for approval "merge" (timeout in 168h)');
    const atGate = await nodeStates(page);
    const byLabel = async (label: string) => (await page.locator("svg.dag g[data-node]", { hasText: label }).first().getAttribute("data-node"))!;
    expect(atGate[await byLabel("list_packages(")]).toBe("done");
    expect(atGate[await byLabel("migrate_package(")]).toBe("done");
    expect(atGate[await byLabel("approve")]).toBe("parked");
    expect(await page.locator("svg.dag g[data-node]", { hasText: "migrate_package(" }).locator(".node-detail").textContent()).toBe("3/3 done");
    expect(await page.isVisible("#simulate-note")).toBe(true);
    expect(await page.textContent("#simulate-spend")).toMatch(/compute \S+ of 30h/);

    await approve.click();
    await page.waitForSelector('#simulate[data-status="completed"]', { timeout: 30_000 });
    const states = await nodeStates(page);
    for (const [node, state] of Object.entries(states)) expect(`${node} ${state}`).toBe(`${node} done`);
    expect(await page.textContent("#simulate-status")).toMatch(/^sim-[0-9a-f]{12} · \d+ entries · \S+ simulated · completed$/);
    expect(JSON.parse((await page.textContent("#simulate-outcome"))!)).toHaveLength(3);
    await page.screenshot({ path: join(screenshots, "playground-simulate.png") });
    expect(errors).toEqual([]);
    await context.close();
  });
});
