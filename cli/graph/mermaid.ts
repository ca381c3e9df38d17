import type { BarrierKind, GraphEdge, GraphModel, GraphNode, Item, VertexKind, WorkflowModel } from "./graph-model.ts";
import { DiagramIds } from "./ids.ts";
import { nodeLines, totalsLines } from "./labels.ts";

/**
 * `flow graph --format mermaid`: one `flowchart TD`, each workflow a
 * subgraph holding its parameters, its nodes, a subgraph for each fan-out
 * and each arm of a branch, and a note of its totals. Shapes tell kinds
 * apart: nodes are rectangles, agents stadiums, verifiers hexagons, gates
 * and approvals rhombi, `verify` a trapezoid, `sleep` and `wait signal`
 * parallelograms. Edges carry the values that cross them (`pkg: Package`);
 * a thick one carries the list a fan-out yields, a dotted one only order.
 */
export function renderMermaid(model: GraphModel): string {
  const ids = new DiagramIds();
  const lines = ["flowchart TD"];
  const classes = new Map<string, string[]>();
  const edges: { readonly line: string; readonly input: boolean }[] = [];
  model.workflows.forEach((w, i) => new WorkflowDiagram(w, i + 1, ids, lines, edges, classes).render());
  lines.push(...edges.map((e) => e.line));
  for (const [name, style] of Object.entries(classStyles)) lines.push(`  classDef ${name} ${style}`);
  for (const [name, members] of classes) lines.push(`  class ${members.join(",")} ${name}`);
  // The workflow's inputs reach many nodes: their edges stay in the background.
  const inputs = edges.flatMap((e, i) => (e.input ? [i] : []));
  if (inputs.length > 0) lines.push(`  linkStyle ${inputs.join(",")} stroke:#9aa0a6`);
  return `${lines.join("\n")}\n`;
}

const classStyles: Readonly<Record<string, string>> = {
  agent: "fill:#e8f0fe,stroke:#4a6fa5",
  verifier: "fill:#e6f4ea,stroke:#3c8c4f",
  gate: "fill:#fff4e0,stroke:#c58a1b",
  barrier: "fill:#f1f3f4,stroke:#5f6368",
  totals: "fill:#ffffff,stroke:#9aa0a6,stroke-dasharray:3 3",
};

class WorkflowDiagram {
  constructor(
    private readonly w: WorkflowModel,
    private readonly index: number,
    private readonly ids: DiagramIds,
    private readonly lines: string[],
    private readonly edges: { readonly line: string; readonly input: boolean }[],
    private readonly classes: Map<string, string[]>,
  ) {}

  render(): void {
    // Mermaid lays a subgraph with no edge across its border out sideways unless told.
    this.lines.push(`  subgraph ${this.id("workflow")}["${text(this.w.label)}"]`, "    direction TB");
    for (const p of this.w.params) this.node(this.w.nodes.get(p)!, "    ");
    this.items(this.w.body, "    ");
    const totals = this.id("totals");
    this.lines.push(`    ${totals}["${totalsLines(this.w).map(text).join("<br/>")}"]`);
    this.classify(totals, "totals");
    this.lines.push("  end");
    for (const e of this.w.edges) this.edge(e);
  }

  private id(key: string): string {
    return this.ids.id(this.index, key);
  }

  private items(items: readonly Item[], indent: string): void {
    for (const item of items) {
      switch (item.kind) {
        case "node":
          this.node(this.w.nodes.get(item.node)!, indent);
          if (item.gate !== null) this.node(this.w.nodes.get(item.gate)!, indent);
          break;
        case "fanOut":
          this.lines.push(`${indent}subgraph ${this.id(`fanOut:${item.fanOut.id}`)}["${text(item.fanOut.label)}"]`);
          this.node(this.w.nodes.get(item.fanOut.item)!, `${indent}  `);
          this.items(item.body, `${indent}  `);
          this.lines.push(`${indent}end`);
          break;
        case "branch":
          this.node(this.w.nodes.get(item.condition)!, indent);
          for (const arm of ["then", "else"] as const) {
            if (item[arm].length === 0) continue;
            this.lines.push(`${indent}subgraph ${this.id(`arm:${item.condition}/${arm}`)}["${arm}"]`);
            this.items(item[arm], `${indent}  `);
            this.lines.push(`${indent}end`);
          }
          break;
      }
    }
  }

  private node(node: GraphNode, indent: string): void {
    const id = this.id(node.id);
    const label = `"${nodeLines(node).map(text).join("<br/>")}"`;
    const [open, close, style] = shape(node);
    this.lines.push(`${indent}${id}${open}${label}${close}`);
    if (style !== null) this.classify(id, style);
  }

  private classify(id: string, style: string): void {
    if (!this.classes.has(style)) this.classes.set(style, []);
    this.classes.get(style)!.push(id);
  }

  private edge(e: GraphEdge): void {
    const to = this.id(e.to);
    const fromNode = this.w.nodes.get(e.from)!;
    // The list a fan-out yields leaves from its subgraph, once all its items are done.
    const from = e.fromList && fromNode.kind === "item" ? this.id(`fanOut:${fromNode.fanOut}`) : this.id(e.from);
    const arrow = e.kind === "order" ? "-.->" : e.fromList ? "==>" : "-->";
    const label = e.values.length === 0 ? "" : `|"${e.values.map((v) => text(`${v.param}: ${v.type}`)).join("<br/>")}"|`;
    this.edges.push({ line: `  ${from} ${arrow}${label} ${to}`, input: fromNode.kind === "param" });
  }
}

/** The brackets of a node's shape, and its class. */
function shape(node: GraphNode): [string, string, string | null] {
  switch (node.kind) {
    case "param":
      return [">", "]", null];
    case "vertex":
      return vertexShapes[node.unitKind];
    case "gate":
      return ["{", "}", "gate"];
    case "let":
      return ["(", ")", null];
    case "item":
      return ["((", "))", null];
    case "condition":
      return ["[\\", "/]", null];
    case "barrier":
      return barrierShapes[node.barrier];
  }
}

const vertexShapes: Record<VertexKind, [string, string, string | null]> = {
  node: ["[", "]", null],
  agent: ["([", "])", "agent"],
  verifier: ["{{", "}}", "verifier"],
  workflow: ["[[", "]]", null],
};

const barrierShapes: Record<BarrierKind, [string, string, string | null]> = {
  verify: ["[/", "\\]", "barrier"],
  approve: ["{", "}", "gate"],
  sleep: ["[/", "/]", "barrier"],
  signal: ["[/", "/]", "barrier"],
};

/**
 * Text inside a quoted Mermaid label: `"`, `<`, `>`, `&`, `#`, `|` and
 * backticks as entity codes (`#34;`), which Mermaid turns back into the
 * characters, so that none is read as markup, a quote's end or an edge's.
 */
export function text(s: string): string {
  return s.replace(/[#"<>&|`]/g, (c) => `#${c.codePointAt(0)};`);
}
