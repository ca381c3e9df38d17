import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { IrFile } from "../compiler/ir/schema.ts";
import { renderDot } from "../cli/graph/dot.ts";
import { graphModel, type GraphModel } from "../cli/graph/graph-model.ts";
import { renderMermaid } from "../cli/graph/mermaid.ts";
import { renderText } from "../cli/graph/text.ts";
import { dotProblems, graphviz, hasGraphviz, mermaidProblems } from "./support/diagrams.ts";
import { repoRoot, runFlowInProcess } from "./support/run-cli.ts";

/** `flow graph`'s model and renderers: drawn from the IR alone, well-formed in every format, deterministic. */

const examples = readdirSync(join(repoRoot, "examples"))
  .filter((f) => f.endsWith(".flow"))
  .sort();

function goldenIr(name: string): IrFile["ir"] {
  return (JSON.parse(readFileSync(join(repoRoot, "test/golden/ir", `${name}.ir.json`), "utf8")) as IrFile).ir;
}

/** What a label may hold: quotes, backslashes, angle brackets, `#`, `|`, `&`, braces and an interpolation. */
const awkward = `import { sh } from "std/sandbox"

node build(repo: string) -> string
  effects { proc }
  budget  { compute: 10m }
{
  return sh("make", timeout: 5m).stdout
}

verifier ok(s: string) -> bool {
  return s != ""
}

workflow awkward(repo: string) -> string
  budget { compute: 2h }
  grants { proc }
{
  let b = build("#quot; \\"q\\" \\\\ \${repo} <b>|&\`x\`")
  if ok(b) {
    sleep 1h
    build(b)
  }
  verify ok(b) else "a \\"bad\\" <result> #1 | \\\\ end"
  approve "ship \\"it\\" #2 <now>" show b by "ops|team" timeout 90m default approve
  let s = wait signal "go {x}" -> { ok: bool, why: string? } timeout 2d
  return b
}
`;

/** Barriers and branches inside a fan-out, a branch inside a branch, a fan-out over a call. */
const nested = `import { sh } from "std/sandbox"
import { len } from "std/list"

node list(repo: string) -> List<string, max 10>
  effects { proc }
  budget  { compute: 10m }
{
  return sh("ls", timeout: 5m).lines
}

node step(x: string) -> string
  effects { proc }
  budget  { compute: 10m }
{
  return sh("echo \${x}", timeout: 5m).stdout
}

workflow nested(repo: string) -> int
  budget { compute: 30h }
  grants { proc }
{
  let xs = list(repo)
  let ys = for x in xs concurrency 2 {
    let a = step(x)
    approve "item" show a timeout 1d default reject
    if a == "" {
      sleep 1m
    } else {
      step(a)
    }
    for z in list(a) { step(z) }
  }
  let n = len(ys)
  if n > 3 {
    if n > 5 { step("big") } else { step("medium") }
  }
  return n
}
`;

describe("flow graph's model", () => {
  it("is drawn from the IR alone: the golden IR gives what the command prints", async () => {
    for (const name of ["monorepo-to-turbo", "framework-upgrade"]) {
      const model = graphModel(goldenIr(name));
      for (const [format, render] of [["text", renderText], ["mermaid", renderMermaid], ["dot", renderDot]] as const) {
        const printed = await runFlowInProcess(["graph", `examples/${name}.flow`, "--format", format]);
        expect(render(model)).toBe(printed.stdout);
      }
    }
  });

  it("gives each value that crosses an edge with its type, and a gated result from its gate", () => {
    const [w] = graphModel(goldenIr("framework-upgrade")).workflows;
    const edge = (from: string, to: string) => w!.edges.find((e) => e.from === from && e.to === to);
    expect(edge("item:s", "vertex:upgrade_service")?.values).toEqual([{ param: "svc", type: "Service" }]);
    expect(edge("gate:release_service_kit", "vertex:upgrade_service")?.values).toEqual([{ param: "kit", type: "Kit" }]);
    expect(edge("vertex:release_service_kit", "vertex:upgrade_service")).toBeUndefined();
    expect(edge("let:ready", "vertex:on_target")?.values).toEqual([{ param: "ready", type: "List<Upgrade, max 80>" }]);
    // The list a fan-out yields, ready once all its items are.
    expect(edge("item:s", "let:broken")).toMatchObject({ kind: "data", fromList: true, values: [] });
  });

  it("adds the order barriers and branches impose, and only what no path implies", () => {
    const order = (model: GraphModel) => model.workflows[0]!.edges.filter((e) => e.kind === "order").map((e) => `${e.from} → ${e.to}`);
    // The reviews are read by nothing, yet `verify` waits for them; the approval waits for the verdict.
    expect(order(graphModel(goldenIr("monorepo-to-turbo")))).toEqual([
      "vertex:review → barrier:verify:coverage_kept",
      "barrier:verify:coverage_kept → barrier:approve:merge",
    ]);
    expect(order(graphModel(goldenIr("framework-upgrade")))).toEqual([
      "if:1 → item:s#2",
      "if:1 → vertex:retire_compat_shims",
      "barrier:verify:on_target → barrier:approve:merge-fleet",
      "barrier:approve:merge-fleet → item:u#2",
    ]);
  });

  it("prices each vertex as the IR does: multiplier × attempts × one attempt", () => {
    const [w] = graphModel(goldenIr("monorepo-to-turbo")).workflows;
    const migrate = w!.nodes.get("vertex:migrate_package");
    expect(migrate).toMatchObject({ kind: "vertex", unitKind: "node", label: 'migrate_package(repo, pkg, "npm", "turbo")' });
    if (migrate?.kind !== "vertex") throw new Error("not a vertex");
    expect(migrate.cost.multiplier).toBe(200);
    expect(migrate.cost.attempts).toBe(4);
    expect(migrate.cost.worst.compute).toBe(200 * 4 * (migrate.cost.perAttempt.compute as number));
  });

  it("renders the same bytes every time", () => {
    const ir = goldenIr("compliance-sweep");
    for (const render of [renderText, renderMermaid, renderDot]) expect(render(graphModel(ir))).toBe(render(graphModel(ir)));
  });
});

describe("flow graph's diagrams", () => {
  const dir = mkdtempSync(join(tmpdir(), "flow-graph-"));
  writeFileSync(join(dir, "awkward.flow"), awkward);
  writeFileSync(join(dir, "nested.flow"), nested);
  const files = [...examples.map((f) => join(repoRoot, "examples", f)), join(dir, "awkward.flow"), join(dir, "nested.flow")];

  it.each(files)("are well-formed Mermaid and DOT for %s", async (file) => {
    const mermaid = await runFlowInProcess(["graph", file, "--format", "mermaid"]);
    const dot = await runFlowInProcess(["graph", file, "--format", "dot"]);
    expect(mermaid.code, mermaid.stderr).toBe(0);
    expect(dot.code, dot.stderr).toBe(0);
    expect(mermaidProblems(mermaid.stdout)).toEqual([]);
    expect(dotProblems(dot.stdout)).toEqual([]);
  });

  it.skipIf(!hasGraphviz).each(files)("are read by Graphviz without a warning: %s", async (file) => {
    const dot = await runFlowInProcess(["graph", file, "--format", "dot"]);
    const rendered = graphviz(dot.stdout);
    expect(rendered.stderr).toBe("");
    expect(rendered.code).toBe(0);
  });

  it("nest fan-outs and branches, with barriers inside them, in every format", async () => {
    const file = join(dir, "nested.flow");
    const text = (await runFlowInProcess(["graph", file])).stdout;
    const lines = text.split("\n").map((l) => l.replace(/ {2,}node .*$/, "").trimEnd());
    expect(lines.slice(3, 13)).toEqual([
      "  2  ys = for x in xs ×10, 2 at a time",
      "       1  a = step(x)",
      '       ── approve "item" show a timeout 1d default reject',
      "       1  list(a)",
      '          if a == ""',
      "            ── sleep 1m",
      "          else",
      "            step(a)",
      "       2  for z in list(a) ×10",
      "            step(z)",
    ]);
    const mermaid = (await runFlowInProcess(["graph", file, "--format", "mermaid"])).stdout;
    expect(mermaid).toMatch(/subgraph w1_f_x\[[^\n]*\n(?:.*\n)*? {6}subgraph w1_a_if_1_then\["then"\]\n {8}w1_b_sleep\[\/"sleep 1m"\/\]/);
  });

  it("escape what labels hold, so that it shows as written", async () => {
    const file = join(dir, "awkward.flow");
    const mermaid = (await runFlowInProcess(["graph", file, "--format", "mermaid"])).stdout;
    expect(mermaid).toContain(
      'approve #34;ship \\#34;it\\#34; #35;2 #60;now#62;#34; show b by #34;ops#124;team#34; timeout 90m default approve"}',
    );
    expect(mermaid).toContain('b = build(#34;#35;quot; \\#34;q\\#34; \\\\ ${repo} #60;b#62;#124;#38;#96;x#96;#34;)');
    const dot = (await runFlowInProcess(["graph", file, "--format", "dot"])).stdout;
    expect(dot).toContain('label="approve \\"ship \\\\\\"it\\\\\\" #2 <now>\\" show b by \\"ops|team\\" timeout 90m default approve"');
    if (hasGraphviz) expect(graphviz(dot).svg).toContain("approve &quot;ship \\&quot;it\\&quot; #2 &lt;now&gt;&quot;");
    const text = (await runFlowInProcess(["graph", file])).stdout;
    expect(text).toContain('  ── approve "ship \\"it\\" #2 <now>" show b by "ops|team" timeout 90m default approve\n');
    expect(text).toContain('  ── s = wait signal "go {x}" -> { ok: bool, why: string? } timeout 2d\n');
  });

  it("are checked by checks that find what is wrong", () => {
    const good = renderMermaid(graphModel(goldenIr("monorepo-to-turbo")));
    expect(mermaidProblems(good.replace("w1_v_review([", 'w1_v_review(["x"] "'))).not.toEqual([]);
    expect(mermaidProblems(good.replace("#34;coverage", '"coverage'))).not.toEqual([]);
    expect(mermaidProblems(good.replace(/\n {4}end\n/, "\n"))).not.toEqual([]);
    expect(mermaidProblems(good.replace("w1_v_list_packages -->", "w1_v_list_packagez -->"))).not.toEqual([]);
    const dot = renderDot(graphModel(goldenIr("monorepo-to-turbo")));
    expect(dotProblems(dot.replace('label="pkg', 'label="p"kg'))).not.toEqual([]);
    expect(dotProblems(dot.replace("ltail=cluster_w1_f_pkg", "ltail=cluster_w1_f_m"))).not.toEqual([]);
    expect(dotProblems(dot.replace(/\n {4}}\n/, "\n"))).not.toEqual([]);
    expect(dotProblems(dot.replace("(repo)", "(repo)\\x"))).not.toEqual([]);
  });
});
