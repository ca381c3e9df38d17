import type { FanOutModel, GraphNode, Item, WorkflowModel } from "../../../cli/graph/graph-model.ts";
import { figures, multiplierText } from "../../../cli/graph/costs.ts";
import type { GraphLayout, LaidOutEdge, LaidOutFrame, LaidOutNode } from "../protocol.ts";

/** Sizes in CSS pixels; a label's width is estimated from its length in the page's monospace font. */
const charWidth = 7.2;
const nodeHeight = 44;
const minWidth = 110;
const maxLabel = 46;
const gapX = 28;
const gapY = 44;
const framePad = 14;
const frameTitle = 22;
const waypointWidth = 8;

/**
 * One thing placed at a level: a node, a fan-out drawn once as a frame
 * around its own layout, or a waypoint of an edge that skips a layer (the
 * edge bends through it instead of crossing the nodes in between).
 */
type Unit =
  | { readonly kind: "node"; readonly id: string; readonly width: number; readonly height: number }
  | { readonly kind: "waypoint"; readonly edge: string; readonly width: number; readonly height: number }
  | { readonly kind: "frame"; readonly fanOut: FanOutModel; readonly inner: Block; readonly width: number; readonly height: number };

/** A laid-out block: its units' offsets, relative to the block's top left corner. */
interface Block {
  readonly width: number;
  readonly height: number;
  readonly placed: readonly { readonly unit: Unit; readonly x: number; readonly y: number }[];
}

/**
 * A layered (Sugiyama-style) drawing of one workflow, top to bottom, from
 * `flow graph`'s model: each thing sits one layer below the lowest of the
 * things it needs, and within a layer near the things it reads. A fan-out
 * is laid out on its own, drawn once inside a frame labelled with its bound
 * (`for pkg in pkgs ×200, 12 at a time`), and placed in its parent's layers
 * as one unit: frames never overlap what is outside them, however wide.
 */
export function layeredLayout(w: WorkflowModel): GraphLayout {
  const dependencies = dependencyEdges(w);
  const fanOutItems = new Map<string, string>();
  collectFanOuts(w.body, fanOutItems);
  const block = layoutBlock(w, topItems(w), dependencies);
  const nodes: LaidOutNode[] = [];
  const frames: LaidOutFrame[] = [];
  const waypoints = new Map<string, Point[]>();
  place(w, block, 0, 0, nodes, frames, waypoints);
  const byId = new Map<string, { x: number; y: number; width: number; height: number }>(nodes.map((n) => [n.id, n]));
  // The list a fan-out yields is ready when all its items are: its edges leave from the bottom of the frame.
  const frameOfItems = new Map(frames.map((f) => [fanOutItems.get(f.id)!, f]));
  const edges: LaidOutEdge[] = [];
  for (const e of dependencies) {
    const from = e.fromList ? (frameOfItems.get(e.from) ?? byId.get(e.from)) : byId.get(e.from);
    const to = byId.get(e.to);
    if (from === undefined || to === undefined) continue;
    edges.push({
      from: e.from,
      to: e.to,
      kind: e.fromList ? "list" : e.kind,
      points: [
        { x: from.x + from.width / 2, y: from.y + from.height },
        ...(waypoints.get(edgeKey(e)) ?? []).sort((a, b) => a.y - b.y),
        { x: to.x + to.width / 2, y: to.y },
      ],
    });
  }
  return { width: block.width, height: block.height, nodes, edges, frames };
}

interface Point {
  readonly x: number;
  readonly y: number;
}

function edgeKey(e: Dependency): string {
  return `${e.kind} ${e.fromList} ${e.from} ${e.to}`;
}

interface Dependency {
  readonly from: string;
  readonly to: string;
  readonly kind: "data" | "order";
  /** The value is the list the fan-out of the items node `from` yields. */
  readonly fromList: boolean;
}

/** Each fan-out's id and the node of its items, at any depth. */
function collectFanOuts(items: readonly Item[], into: Map<string, string>): void {
  for (const item of items) {
    if (item.kind === "fanOut") {
      into.set(item.fanOut.id, item.fanOut.item);
      collectFanOuts(item.body, into);
    } else if (item.kind === "branch") {
      collectFanOuts(item.then, into);
      collectFanOuts(item.else, into);
    }
  }
}

/** The model's edges, and one from each gated vertex to its gate (the model lets the gate stand for the vertex's result). */
function dependencyEdges(w: WorkflowModel): Dependency[] {
  const edges: Dependency[] = w.edges.map((e) => ({ from: e.from, to: e.to, kind: e.kind, fromList: e.fromList }));
  for (const node of w.nodes.values()) {
    if (node.kind === "gate" && !edges.some((e) => e.to === node.id)) edges.push({ from: `vertex:${node.vertex}`, to: node.id, kind: "order", fromList: false });
  }
  return edges;
}

/** The workflow's top level: its parameters, then its body. */
function topItems(w: WorkflowModel): Item[] {
  return [...w.params.map((p): Item => ({ kind: "node", node: p, gate: null })), ...w.body];
}

/** What a list of items places at one level: nodes, frames; a branch's condition and both arms stay at the level. */
function unitsOf(w: WorkflowModel, items: readonly Item[], dependencies: readonly Dependency[]): Unit[] {
  const units: Unit[] = [];
  for (const item of items) {
    switch (item.kind) {
      case "node":
        units.push(nodeUnit(w.nodes.get(item.node)!));
        if (item.gate !== null) units.push(nodeUnit(w.nodes.get(item.gate)!));
        break;
      case "branch":
        units.push(nodeUnit(w.nodes.get(item.condition)!), ...unitsOf(w, item.then, dependencies), ...unitsOf(w, item.else, dependencies));
        break;
      case "fanOut": {
        const header: Item = { kind: "node", node: item.fanOut.item, gate: null };
        const inner = layoutBlock(w, [header, ...item.body], dependencies);
        const title = Math.min(item.fanOut.label.length, 70) * charWidth + 2 * framePad;
        units.push({ kind: "frame", fanOut: item.fanOut, inner, width: Math.max(inner.width, title) + 2 * framePad, height: inner.height + framePad + frameTitle });
        break;
      }
    }
  }
  return units;
}

function nodeUnit(node: GraphNode): Unit {
  const longest = Math.max(Math.min(node.label.length, maxLabel), detailOf(node).length);
  return { kind: "node", id: node.id, width: Math.max(minWidth, Math.ceil(longest * charWidth) + 20), height: nodeHeight };
}

/** The node ids a unit stands for at its level. */
function members(unit: Unit): string[] {
  if (unit.kind === "waypoint") return [];
  return unit.kind === "node" ? [unit.id] : unit.inner.placed.flatMap((p) => members(p.unit));
}

function layoutBlock(w: WorkflowModel, items: readonly Item[], dependencies: readonly Dependency[]): Block {
  const units = unitsOf(w, items, dependencies);
  const owner = new Map<string, number>();
  units.forEach((u, i) => members(u).forEach((id) => owner.set(id, i)));
  const preds: number[][] = units.map(() => []);
  for (const e of dependencies) {
    const from = owner.get(e.from);
    const to = owner.get(e.to);
    if (from !== undefined && to !== undefined && from !== to && !preds[to]!.includes(from)) preds[to]!.push(from);
  }

  // Longest path from the top. Units come in the order the body computes them, so one pass
  // nearly always settles it; a bounded number of passes keeps a malformed model from looping.
  const layer = units.map(() => 0);
  for (let pass = 0, changed = true; changed && pass < units.length + 1; pass++) {
    changed = false;
    units.forEach((_, i) => {
      const want = Math.max(0, ...preds[i]!.map((p) => layer[p]! + 1));
      if (want !== layer[i]) {
        layer[i] = want;
        changed = true;
      }
    });
  }

  // An edge that skips layers gets a waypoint in each layer between its ends, ordered with the rest.
  for (const e of dependencies) {
    const from = owner.get(e.from);
    const to = owner.get(e.to);
    if (from === undefined || to === undefined || from === to) continue;
    let previous = from;
    for (let l = layer[from]! + 1; l < layer[to]!; l++) {
      units.push({ kind: "waypoint", edge: edgeKey(e), width: waypointWidth, height: 0 });
      layer.push(l);
      preds.push([previous]);
      previous = units.length - 1;
    }
  }

  const layers: number[][] = [];
  units.forEach((_, i) => (layers[layer[i]!] ??= []).push(i));
  // Within a layer, each unit near the average position of what it reads (the barycenter heuristic), in one sweep down.
  const centre = new Map<number, number>();
  const rows: { readonly order: number[]; readonly width: number; readonly height: number }[] = [];
  for (const row of layers) {
    const members = row ?? [];
    const key = (i: number) => {
      const ps = preds[i]!.filter((p) => centre.has(p));
      return ps.length === 0 ? Number.POSITIVE_INFINITY : ps.reduce((sum, p) => sum + centre.get(p)!, 0) / ps.length;
    };
    const order = [...members].sort((a, b) => key(a) - key(b) || a - b);
    const width = order.reduce((sum, i) => sum + units[i]!.width, 0) + gapX * Math.max(0, order.length - 1);
    let x = -width / 2;
    for (const i of order) {
      centre.set(i, x + units[i]!.width / 2);
      x += units[i]!.width + gapX;
    }
    rows.push({ order, width, height: Math.max(0, ...order.map((i) => units[i]!.height)) });
  }

  const width = Math.max(0, ...rows.map((r) => r.width));
  const placed: Block["placed"][number][] = [];
  let y = 0;
  for (const row of rows) {
    let x = (width - row.width) / 2;
    for (const i of row.order) {
      const unit = units[i]!;
      placed.push({ unit, x, y: y + (row.height - unit.height) / 2 });
      x += unit.width + gapX;
    }
    y += row.height + gapY;
  }
  return { width, height: Math.max(0, y - gapY), placed };
}

function place(w: WorkflowModel, block: Block, dx: number, dy: number, nodes: LaidOutNode[], frames: LaidOutFrame[], waypoints: Map<string, Point[]>): void {
  for (const { unit, x, y } of block.placed) {
    if (unit.kind === "waypoint") {
      const points = waypoints.get(unit.edge) ?? [];
      points.push({ x: dx + x + unit.width / 2, y: dy + y });
      waypoints.set(unit.edge, points);
    } else if (unit.kind === "node") {
      const node = w.nodes.get(unit.id)!;
      nodes.push({ id: node.id, kind: node.kind, label: node.label, detail: detailOf(node), x: dx + x, y: dy + y, width: unit.width, height: unit.height });
    } else {
      frames.push({ id: unit.fanOut.id, label: unit.fanOut.label, x: dx + x, y: dy + y, width: unit.width, height: unit.height });
      place(w, unit.inner, dx + x + (unit.width - unit.inner.width) / 2, dy + y + frameTitle, nodes, frames, waypoints);
    }
  }
}

/** The second line of a node: what kind of thing it is and, for a call of a unit, how often it may run and its worst case. */
export function detailOf(node: GraphNode): string {
  switch (node.kind) {
    case "vertex": {
      const times = multiplierText(node.cost);
      return `${node.unitKind}${times === "1" ? "" : ` ×${times}`} · ${figures(node.cost.worst)}`;
    }
    case "param":
      return "parameter";
    case "gate":
      return "gate: held for a human";
    case "let":
      return "let";
    case "item":
      return "each item";
    case "condition":
      return "branch";
    case "barrier":
      return node.barrier;
  }
}
