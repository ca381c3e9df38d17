import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fileHost } from "../cli/file-host.ts";
import { Ckw, Kw } from "../language/tokens.ts";
import { contextualKeywords, reservedWords } from "../playground/src/editor/flow-keywords.ts";
import type { Analysis, GraphLayout } from "../playground/src/protocol.ts";
import { analyse } from "../playground/src/worker/analyse.ts";
import { formatSource } from "../playground/src/worker/format-source.ts";

// What the playground's worker computes, run in Node on the repository's
// files: the same code the browser runs (the browser tests check the page).

const examples = readdirSync("examples").filter((f) => f.endsWith(".flow")).map((f) => `examples/${f}`);

function run(path: string, text = readFileSync(path, "utf8")): Analysis {
  return analyse(path, text, 1, fileHost);
}

describe("the playground's analysis", () => {
  it.each(examples)("draws every workflow of %s with its cost table", (path) => {
    const analysis = run(path);
    expect(analysis.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(analysis.workflows?.length).toBeGreaterThan(0);
    for (const w of analysis.workflows!) {
      expect(w.label).toMatch(new RegExp(`^workflow ${w.name}\\(`));
      expect(readFileSync(path, "utf8").split("\n")[w.lines.first - 1]).toMatch(new RegExp(`^workflow ${w.name}\\(`));
      expect(w.lines.last).toBeGreaterThan(w.lines.first);
      expect(w.costs.totals.map((t) => t.unit)).toEqual(["tokens", "usd", "compute", "wall"]);
      expect(w.graph.nodes.filter((n) => n.kind === "vertex").length).toBe(w.costs.rows.length);
      expectClean(w.graph);
    }
  });

  it("collapses a fan-out into one frame labelled with its bound", () => {
    const w = run("examples/monorepo-to-turbo.flow").workflows!.find((x) => x.name === "monorepo_to_turbo")!;
    expect(w.graph.frames.map((f) => f.label)).toEqual(["migrations = for pkg in pkgs ×200, 12 at a time", "reviews = for m in migrations ×200, 4 at a time"]);
    expect(w.graph.nodes.filter((n) => n.label.startsWith("migrate_package("))).toHaveLength(1);
    const verdicts = Object.fromEntries(w.costs.totals.map((t) => [t.unit, t.verdict]));
    expect(verdicts.compute).toBe("may exceed");
  });

  it("gives an error's code, place and explanation for a marker", () => {
    const text = `${readFileSync("examples/hello.flow", "utf8")}workflow broken() -> int { return "text" }\n`;
    const analysis = run("examples/hello.flow", text);
    expect(analysis.workflows).toBeUndefined();
    expect(analysis.diagnostics).toEqual([
      {
        code: "FL0210",
        severity: "error",
        message: "`broken` returns `int` but this is `string`",
        range: { startLine: 16, startColumn: 35, endLine: 16, endColumn: 41 },
        detail: "this is `string`\nhelp: convert it explicitly: `… as int`",
      },
    ]);
  });

  it("shows a problem in an imported file on the import that brings it in", () => {
    const entry = "import { Release } from \"./missing.flow\"\n";
    const [d] = run("examples/playground.flow", entry).diagnostics;
    expect(d).toMatchObject({ code: "FL0207", range: { startLine: 1 } });
  });

  it("knows the signature a call resolves to and the types the checker kept", () => {
    const hovers = run("examples/monorepo-to-turbo.flow").hovers.map((h) => h.text);
    expect(hovers).toContain("node migrate_package(repo: string, pkg: Package, from: string, to: string) -> Migration");
    expect(hovers).toContain("List<Package, max 200>");
  });

  it("formats as flow fmt does, and refuses a file with syntax errors", () => {
    expect(formatSource(1, "a.flow", "workflow   w() -> int { return 1 }")).toEqual({ kind: "formatted", id: 1, text: "workflow w() -> int {\n  return 1\n}\n" });
    expect(formatSource(2, "a.flow", "workflow w( {")).toMatchObject({ kind: "not-formatted", id: 2 });
  });

  it("colours exactly the lexer's keywords", () => {
    expect([...reservedWords].sort()).toEqual(Object.keys(Kw).sort());
    expect([...contextualKeywords].sort()).toEqual(Object.keys(Ckw).sort());
  });
});

/** Nodes do not overlap and stay within the drawing, and every edge runs downwards. */
function expectClean(g: GraphLayout): void {
  for (const [i, a] of g.nodes.entries()) {
    for (const b of g.nodes.slice(i + 1)) {
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
    }
    expect(a.x).toBeGreaterThanOrEqual(0);
    expect(a.x + a.width).toBeLessThanOrEqual(g.width + 0.001);
  }
  for (const e of g.edges) expect(e.points[0]!.y, `${e.from} -> ${e.to}`).toBeLessThan(e.points[e.points.length - 1]!.y);
}
