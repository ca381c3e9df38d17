import type { BarrierKind, GraphEdge, GraphModel, GraphNode, Item, VertexKind, WorkflowModel } from "./graph-model.ts";
import { DiagramIds } from "./ids.ts";
import { nodeLines, totalsLines } from "./labels.ts";

/**
 * `flow graph --format dot`: one Graphviz `digraph`, each workflow a
 * cluster holding its parameters, its nodes, a cluster for each fan-out and
 * each arm of a branch, and a note of its totals. Shapes as in the Mermaid
 * output: boxes for nodes (rounded for agents), hexagons for verifiers,
 * diamonds for gates and approvals, a trapezium for `verify`,
 * parallelograms for `sleep` and `wait signal`. Edges carry the values that
 * cross them; a bold one the list a fan-out yields (drawn from the
 * fan-out's cluster), a dashed one only order.
 */
export function renderDot(model: GraphModel): string {
  const ids = new DiagramIds();
  const lines = [
    `digraph ${quote(model.entry)} {`,
    `  graph [compound=true, fontname="Helvetica", fontsize=11, labeljust=l, nodesep=0.3, ranksep=0.45];`,
    `  node [fontname="Helvetica", fontsize=10, shape=box];`,
    `  edge [fontname="Helvetica", fontsize=9];`,
  ];
  const edges: string[] = [];
  model.workflows.forEach((w, i) => new WorkflowDiagram(w, i + 1, ids, lines, edges).render());
  lines.push(...edges, "}");
  return `${lines.join("\n")}\n`;
}

class WorkflowDiagram {
  constructor(
    private readonly w: WorkflowModel,
    private readonly index: number,
    private readonly ids: DiagramIds,
    private readonly lines: string[],
    private readonly edges: string[],
  ) {}

  render(): void {
    this.lines.push(`  subgraph cluster_${this.id("workflow")} {`, `    label=${quote(this.w.label)};`);
    for (const p of this.w.params) this.node(this.w.nodes.get(p)!, "    ");
    this.items(this.w.body, "    ");
    this.lines.push(`    ${this.id("totals")} [shape=note, label=${quote(totalsLines(this.w).map((l) => `${l}\n`).join(""), "\\l")}];`);
    this.lines.push("  }");
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
          this.lines.push(`${indent}subgraph cluster_${this.id(`fanOut:${item.fanOut.id}`)} {`);
          this.lines.push(`${indent}  label=${quote(item.fanOut.label)};`, `${indent}  style=dashed;`);
          this.node(this.w.nodes.get(item.fanOut.item)!, `${indent}  `);
          this.items(item.body, `${indent}  `);
          this.lines.push(`${indent}}`);
          break;
        case "branch":
          this.node(this.w.nodes.get(item.condition)!, indent);
          for (const arm of ["then", "else"] as const) {
            if (item[arm].length === 0) continue;
            this.lines.push(`${indent}subgraph cluster_${this.id(`arm:${item.condition}/${arm}`)} {`);
            this.lines.push(`${indent}  label=${quote(arm)};`, `${indent}  style=dotted;`);
            this.items(item[arm], `${indent}  `);
            this.lines.push(`${indent}}`);
          }
          break;
      }
    }
  }

  private node(node: GraphNode, indent: string): void {
    const attributes = [`label=${quote(nodeLines(node).join("\n"))}`, ...shape(node)];
    this.lines.push(`${indent}${this.id(node.id)} [${attributes.join(", ")}];`);
  }

  private edge(e: GraphEdge): void {
    const attributes: string[] = [];
    const fromNode = this.w.nodes.get(e.from)!;
    // The list a fan-out yields is drawn from its cluster's border, once all its items are done.
    if (e.fromList && fromNode.kind === "item") attributes.push(`ltail=cluster_${this.id(`fanOut:${fromNode.fanOut}`)}`, "penwidth=2");
    if (e.kind === "order") attributes.push("style=dashed", `color="#80868b"`);
    // The workflow's inputs reach many nodes: their edges stay in the background.
    else if (fromNode.kind === "param") attributes.push(`color="#9aa0a6"`, `fontcolor="#5f6368"`);
    if (e.values.length > 0) attributes.push(`label=${quote(e.values.map((v) => `${v.param}: ${v.type}`).join("\n"))}`);
    this.edges.push(`  ${this.id(e.from)} -> ${this.id(e.to)}${attributes.length === 0 ? "" : ` [${attributes.join(", ")}]`};`);
  }
}

const filled = (color: string) => [`style=filled`, `fillcolor="${color}"`];

function shape(node: GraphNode): string[] {
  switch (node.kind) {
    case "param":
      return ["shape=cds"];
    case "vertex":
      return vertexShapes[node.unitKind];
    case "gate":
      return ["shape=diamond", ...filled("#fff4e0")];
    case "let":
      return ["shape=ellipse"];
    case "item":
      return ["shape=circle"];
    case "condition":
      return ["shape=invtrapezium"];
    case "barrier":
      return barrierShapes[node.barrier];
  }
}

const vertexShapes: Record<VertexKind, string[]> = {
  node: [],
  agent: [`style="rounded,filled"`, `fillcolor="#e8f0fe"`],
  verifier: ["shape=hexagon", ...filled("#e6f4ea")],
  workflow: ["shape=box3d"],
};

const barrierShapes: Record<BarrierKind, string[]> = {
  verify: ["shape=trapezium", ...filled("#f1f3f4")],
  approve: ["shape=diamond", ...filled("#fff4e0")],
  sleep: ["shape=parallelogram", ...filled("#f1f3f4")],
  signal: ["shape=parallelogram", ...filled("#f1f3f4")],
};

/**
 * A DOT string: `"` and `\` escaped, each line break written `newline`
 * (`\n` centres the line before it, `\l` left-aligns it), so that nothing
 * in a label is read as DOT or as one of Graphviz's label escapes.
 */
export function quote(text: string, newline = "\\n"): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\r?\n/g, newline)}"`;
}
