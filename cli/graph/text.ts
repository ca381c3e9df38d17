import { amountText, causes, columns, figures, multiplierText, pad, totalsRows, width } from "./costs.ts";
import type { GraphModel, Item, WorkflowModel } from "./graph-model.ts";

/**
 * `flow graph --format text`: each workflow top to bottom in dependency
 * order. Between two barriers, what can start together shares a layer
 * number (1 needs nothing computed since the barrier, 2 needs something of
 * 1, …); fan-outs and branches are indented groups, layered the same way
 * inside; barriers are separators; each call of a unit shows its kind, how
 * many times it may run, its attempts and its worst case; then the
 * workflow's totals against its budget.
 */
export function renderText(model: GraphModel): string {
  return model.workflows.map(renderWorkflow).join("\n");
}

type Line =
  | { readonly kind: "call"; readonly tree: string; readonly cells: readonly string[] }
  | { readonly kind: "plain"; readonly text: string };

function renderWorkflow(w: WorkflowModel): string {
  const lines: Line[] = [];
  new Listing(w, lines).block(w.body, "  ");
  const calls = lines.filter((l) => l.kind === "call");
  const treeWidth = Math.max(0, ...calls.map((l) => width(l.tree)));
  const cellRows = columns([["kind", "×", "attempts", "worst case"], ...calls.map((l) => l.cells)], "");
  let call = 0;
  const body = lines.map((l) => (l.kind === "plain" ? l.text : `${pad(l.tree, treeWidth)}  ${cellRows[++call]}`));
  const header = calls.length === 0 ? [] : [`${" ".repeat(treeWidth)}  ${cellRows[0]}`];

  const totals = columns(totalsRows(w.worst, w.budget, w.verdicts));
  const notes = causes(w.worst).map((c) => `  ${c}`);
  for (const v of w.verdicts) {
    if (v.verdict === "fits") continue;
    notes.push(`  ${v.unit} ${v.verdict} ${amountText(v.ceiling, v.unit)}: ${v.derivation.join("; ")}`);
  }
  return [w.label, ...header, ...body, "", ...totals, ...notes, ""].join("\n");
}

class Listing {
  constructor(
    private readonly w: WorkflowModel,
    private readonly lines: Line[],
  ) {}

  /** A block's items, segment by segment between its barriers, layer by layer in each. */
  block(items: readonly Item[], indent: string): void {
    const segments: { items: Item[]; barrier: Item | null }[] = [{ items: [], barrier: null }];
    for (const item of items) {
      if (item.kind === "node" && this.w.nodes.get(item.node)!.kind === "barrier") {
        segments[segments.length - 1]!.barrier = item;
        segments.push({ items: [], barrier: null });
      } else {
        segments[segments.length - 1]!.items.push(item);
      }
    }
    const layered = segments.map((s) => ({ ...s, layers: this.layers(s.items) }));
    // A block whose items could all start together (a fan-out of one call) needs no layer numbers.
    const numbered = layered.some((s) => s.layers.some((l) => l > 1));
    const labelWidth = numbered ? Math.max(...layered.flatMap((s) => s.layers.map((l) => String(l).length))) + 2 : 0;
    for (const segment of layered) {
      // In a layer, single lines first: one after an indented group would read as part of it.
      const group = (item: Item): number => (item.kind === "node" ? 0 : 1);
      const order = segment.items
        .map((item, i) => ({ item, layer: segment.layers[i]! }))
        .sort((a, b) => a.layer - b.layer || group(a.item) - group(b.item));
      order.forEach(({ item, layer }, i) => {
        const first = i === 0 || order[i - 1]!.layer !== layer;
        this.item(item, `${indent}${pad(first && numbered ? String(layer) : "", labelWidth)}`, `${indent}${" ".repeat(labelWidth)}`);
      });
      if (segment.barrier?.kind === "node") this.lines.push({ kind: "plain", text: `${indent}── ${this.label(segment.barrier.node)}` });
    }
  }

  private item(item: Item, prefix: string, inner: string): void {
    switch (item.kind) {
      case "node": {
        const node = this.w.nodes.get(item.node)!;
        if (node.kind !== "vertex") {
          this.lines.push({ kind: "plain", text: `${prefix}${node.label}` });
          return;
        }
        const cells = [node.unitKind, multiplierText(node.cost), String(node.cost.attempts), figures(node.cost.worst)];
        this.lines.push({ kind: "call", tree: `${prefix}${node.label}`, cells });
        if (item.gate !== null) {
          this.lines.push({ kind: "plain", text: `${inner}  ${this.w.nodes.get(item.gate)!.label} holds the result until a person approves it` });
        }
        return;
      }
      case "fanOut":
        this.lines.push({ kind: "plain", text: `${prefix}${item.fanOut.label}` });
        this.block(item.body, `${inner}  `);
        return;
      case "branch":
        this.lines.push({ kind: "plain", text: `${prefix}${this.label(item.condition)}` });
        this.block(item.then, `${inner}  `);
        if (item.else.length > 0) {
          this.lines.push({ kind: "plain", text: `${inner}else` });
          this.block(item.else, `${inner}  `);
        }
        return;
    }
  }

  private label(node: string): string {
    return this.w.nodes.get(node)!.label;
  }

  /** Each item's layer: one more than the highest of the items before it in the segment that it reads. */
  private layers(items: readonly Item[]): number[] {
    const owner = new Map<string, number>();
    items.forEach((item, i) => nodesOf(item).forEach((n) => owner.set(n, i)));
    const layers = items.map(() => 1);
    const needs = items.map(() => new Set<number>());
    for (const e of this.w.edges) {
      if (e.kind !== "data") continue;
      const from = owner.get(e.from);
      const to = owner.get(e.to);
      if (from !== undefined && to !== undefined && from < to) needs[to]!.add(from);
    }
    items.forEach((_, i) => {
      for (const j of needs[i]!) layers[i] = Math.max(layers[i]!, layers[j]! + 1);
    });
    return layers;
  }
}

function nodesOf(item: Item): string[] {
  switch (item.kind) {
    case "node":
      return item.gate === null ? [item.node] : [item.node, item.gate];
    case "fanOut":
      return [item.fanOut.item, ...item.body.flatMap(nodesOf)];
    case "branch":
      return [item.condition, ...item.then.flatMap(nodesOf), ...item.else.flatMap(nodesOf)];
  }
}
