import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { deflateRawSync, gzipSync, inflateRawSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatProgram } from "../language/format/format.ts";
import { parse } from "../language/parse.ts";
import { SourceFile } from "../language/source-file.ts";
import { launchChromium } from "./support/chromium.ts";
import { serveStatic, type StaticSite } from "./support/static-site.ts";

// The built playground (dist/playground/, made by the build every test run
// starts with) in Debian's Chromium, headless, served from loopback as any
// static host would serve it. Screenshots land in test/screenshots/.

const site = resolve("dist/playground");
const screenshots = resolve("test/screenshots");

let browser: Browser;
let server: StaticSite;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  server = await serveStatic(site);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** What each page threw, uncaught: a test ends by checking there was nothing. */
const pageErrors = new WeakMap<Page, string[]>();

/** A fresh page (its own context: no cache, no storage) on the playground, once the editor shows its first diagnostics. */
async function open(fragment = ""): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(server.url + fragment);
  // Generous: the whole suite shares two cores with this browser.
  await page.waitForSelector("body[data-state=ready]", { timeout: 45_000 }).catch((e: Error) => {
    throw new Error(`the playground did not become ready: ${errors.join("; ") || e.message}`);
  });
  return page;
}

async function close(page: Page): Promise<void> {
  expect(pageErrors.get(page)).toEqual([]);
  await page.context().close();
}

/** Each drawn node's `data-state`, by its `data-node`. */
async function nodeStates(page: Page): Promise<Record<string, string>> {
  return page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll("svg.dag g[data-node]")].map((g) => [g.dataset.node, g.dataset.state ?? ""]))`);
}

/** The fragment the page writes: `#src=` and the source deflated, in base64url. */
function fragmentOf(source: string): string {
  return `#src=${deflateRawSync(Buffer.from(source)).toString("base64url")}`;
}

function sourceOf(fragment: string): string {
  expect(fragment.startsWith("#src=")).toBe(true);
  return inflateRawSync(Buffer.from(fragment.slice("#src=".length), "base64url")).toString("utf8");
}

/** The source the page holds, as its address bar says once it has caught up with the editor. */
async function waitForSource(page: Page, expected: string): Promise<void> {
  // Compared as text: the browser's DEFLATE need not produce Node's bytes.
  await expect.poll(async () => sourceOf(await page.evaluate<string>("location.hash")), { timeout: 20_000 }).toBe(expected);
}

/** The lines the editor draws, top to bottom (Monaco reuses its line elements, so their order in the DOM is not the text's). */
async function shownLines(page: Page): Promise<string[]> {
  const lines = await page.evaluate<{ top: number; text: string }[]>(
    `[...document.querySelectorAll(".monaco-editor .view-line")].map((e) => ({ top: parseFloat(e.style.top), text: e.textContent }))`,
  );
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text.replace(/\u00a0/g, " "));
}

function formatted(text: string): string {
  const parsed = parse(new SourceFile("x.flow", text));
  return formatProgram(parsed.program, parsed.comments, text);
}

describe("the playground in a browser", { timeout: 120_000 }, () => {
  it("shows a type error as a marker with its code, and the code and message on hover", async () => {
    const page = await open();
    await page.click(".monaco-editor .view-lines");
    await page.keyboard.press("Control+End");
    await page.keyboard.type('workflow broken() -> int { return "text" }');
    const problem = page.locator('#problems li[data-code="FL0210"]');
    await problem.waitFor();
    expect(await problem.textContent()).toBe("FL0210 16:35 error: `broken` returns `int` but this is `string`");
    expect(await page.textContent("#status")).toMatch(/^1 error, 0 warnings/);
    // The plan of the last version without errors stays, dimmed.
    expect(await page.getAttribute("#plan-root", "class")).toContain("stale");

    // The squiggle is a decoration under the text, not something to point at: point at where it is drawn. Monaco may
    // draw its decorations again between a read of where and the pointer's move (under load, a second analysis lands),
    // and then shows no hover for that move: point again, at where it is drawn then, until the hover shows.
    const squiggle = page.locator(".monaco-editor .squiggly-error").first();
    const hover = page.locator(".monaco-hover:not(.hidden)").filter({ hasText: "FL0210" });
    let shown = false;
    for (let i = 0; !shown && i < 20; i++) {
      const box = await squiggle.boundingBox();
      if (box === null) {
        await page.waitForTimeout(100);
        continue;
      }
      await page.mouse.move(0, 0);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      shown = await hover.waitFor({ timeout: 2_000 }).then(
        () => true,
        () => false,
      );
    }
    expect(shown, "no hover with FL0210 after pointing at the squiggle 20 times").toBe(true);
    expect(await hover.textContent()).toContain("returns `int` but this is `string`");
    await page.screenshot({ path: join(screenshots, "playground-error.png") });
    await close(page);
  });

  it("opens an example and shows its DAG, fan-outs collapsed with their bound, and its cost table", async () => {
    const page = await open();
    await page.selectOption("#examples", "examples/monorepo-to-turbo.flow");
    await page.locator("#workflows button", { hasText: "monorepo_to_turbo" }).waitFor();
    await page.locator("svg.dag .frame-label", { hasText: "×200" }).first().waitFor();
    expect(await page.locator("svg.dag .frame-label").allTextContents()).toEqual([
      "migrations = for pkg in pkgs ×200, 12 at a time",
      "reviews = for m in migrations ×200, 4 at a time",
    ]);
    expect(await page.locator("svg.dag g.node-vertex").count()).toBe(4);
    expect(await page.locator("svg.dag path.edge").count()).toBeGreaterThan(5);
    expect(await page.locator("table.cost-rows tbody td:first-child").allTextContents()).toEqual(["list_packages", "migrate_package", "review", "coverage_kept"]);
    expect(await page.locator("table.cost-totals .verdict-may-exceed").allTextContents()).toEqual(["may exceed"]);
    expect(await page.textContent("#status")).toMatch(/^0 errors, 1 warning/);
    // Blocks fold (by indentation, which the canonical layout keeps): the gutter has their controls.
    // Folding ranges are computed a moment after the text changes.
    await expect.poll(() => page.locator(".monaco-editor .margin .codicon-folding-expanded").count()).toBeGreaterThan(3);
    await page.screenshot({ path: join(screenshots, "playground-example.png") });
    await close(page);
  });

  it("formats on demand, as flow fmt does", async () => {
    const messy = "workflow   w() -> int { return   1 }\n";
    const page = await open(fragmentOf(messy));
    await page.click("#format");
    await waitForSource(page, formatted(messy));
    expect(await shownLines(page)).toEqual(["workflow w() -> int {", "  return 1", "}", ""]);
    await close(page);
  });

  it("shows the signature a call resolved to on hover, and toggles comments", async () => {
    const source = "node double(n: int) -> int { return n * 2 }\n\nworkflow w(x: int) -> int { return double(x) }\n";
    const page = await open(fragmentOf(source));
    // Monaco joins neighbouring text of one colour into one span: the call's name comes with the space before it.
    const call = page.locator(".monaco-editor .view-line", { hasText: "workflow" }).locator("span > span", { hasText: /^\s*double$/ });
    const box = (await call.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator(".monaco-hover:not(.hidden)", { hasText: "node double(n: int) -> int" }).waitFor({ timeout: 20_000 });

    await page.click(".monaco-editor .view-lines");
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("Control+/");
    await waitForSource(page, `// ${source}`);
    // Commented out, the node is gone: the workflow's call has nothing to call.
    expect(await page.textContent("#status")).toMatch(/^1 error/);
    await close(page);
  });

  it("shows the plan of the workflow the cursor is in", async () => {
    const source = [
      "node double(n: int) -> int { return n * 2 }",
      "",
      "workflow first(x: int) -> int { return double(x) }",
      "",
      "workflow second(x: int) -> int { return double(double(x)) }",
      "",
    ].join("\n");
    const page = await open(fragmentOf(source));
    const pressed = page.locator('#workflows button[aria-pressed="true"]');
    expect(await pressed.textContent()).toBe("second");
    expect(await page.locator("svg.dag g.node-vertex").count()).toBe(2);
    await page.locator(".monaco-editor .view-line", { hasText: "workflow first" }).click();
    await expect.poll(() => pressed.textContent()).toBe("first");
    expect(await page.locator("svg.dag g.node-vertex").count()).toBe(1);
    await close(page);
  });

  it("keeps the source in the URL fragment, and a link opens the same program", async () => {
    const source = readFileSync("examples/security-backport.flow", "utf8");
    const page = await open(fragmentOf(source));
    // Imports of examples/shared/ resolve in the browser too.
    await page.locator("#workflows button", { hasText: "security_backport" }).waitFor();
    expect(await page.textContent("#status")).toMatch(/^0 errors/);
    await page.click(".monaco-editor .view-lines");
    await page.keyboard.press("Control+Home");
    await page.keyboard.type("// shared by link\n");
    const edited = `// shared by link\n${source}`;
    await waitForSource(page, edited);

    const again = await open(await page.evaluate<string>("location.hash"));
    expect((await shownLines(again))[0]).toBe("// shared by link");
    await again.locator("#workflows button", { hasText: "security_backport" }).waitFor();
    await close(page);
    await close(again);
  });

  // The Simulate button: the run goes through the interpreter's core in the page's worker, in a simulated world.
  it("simulates an example with a fan-out and a gate: nodes turn green, the gate waits for a click, the run completes", async () => {
    const page = await open();
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
    await page.locator("svg.dag g[data-node]", { hasText: "approve" }).first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, "playground-simulate-gate.png") });

    await approve.click();
    await page.waitForSelector('#simulate[data-status="completed"]', { timeout: 30_000 });
    const states = await nodeStates(page);
    for (const [node, state] of Object.entries(states)) expect(`${node} ${state}`).toBe(`${node} done`);
    expect(await page.textContent("#simulate-status")).toMatch(/^sim-[0-9a-f]{12} · \d+ entries · \S+ simulated · completed$/);
    expect(JSON.parse((await page.textContent("#simulate-outcome"))!)).toHaveLength(3);
    await page.locator("#simulate-run").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, "playground-simulate.png") });
    await close(page);
  });

  it("reports its bundle size and time to interactive", async () => {
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await open();
      loads.push(await page.evaluate(() => performance.getEntriesByName("flow-playground-ready")[0]!.startTime));
      await close(page);
    }
    const median = [...loads].sort((a, b) => a - b)[Math.floor(loads.length / 2)]!;
    const assets = readdirSync(join(site, "assets")).map((file) => {
      const bytes = readFileSync(join(site, "assets", file));
      return { file, bytes: statSync(join(site, "assets", file)).size, gzip: gzipSync(bytes, { level: 9 }).length };
    });
    const total = { bytes: assets.reduce((s, a) => s + a.bytes, 0), gzip: assets.reduce((s, a) => s + a.gzip, 0) };
    const report = { timeToInteractiveMs: { median: Math.round(median), loads: loads.map(Math.round) }, total, assets };
    writeFileSync(join(screenshots, "playground-metrics.json"), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`playground: time to interactive median ${Math.round(median)} ms of ${loads.map(Math.round).join(", ")}; ${Math.round(total.bytes / 1024)} KiB, ${Math.round(total.gzip / 1024)} KiB gzip`);
    // Generous: two shared cores and a software renderer; this guards against a regression by an order of magnitude.
    expect(median).toBeLessThan(15_000);
    // No language service rode along: the whole package's TypeScript worker alone is some 7 MB.
    expect(total.bytes).toBeLessThan(6 * 1024 * 1024);
  }, 180_000);
});
