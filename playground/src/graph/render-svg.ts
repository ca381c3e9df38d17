import type { GraphLayout, LaidOutNode } from "../protocol.ts";

const svgNs = "http://www.w3.org/2000/svg";
const margin = 16;
/** Labels are cut here; the whole label is the node's tooltip. */
const maxLabel = 46;

/**
 * Draws a laid-out workflow (graph/layered-layout.ts) as SVG: fan-out frames
 * behind, then edges (data solid, order dashed), then nodes coloured by
 * kind. Each node carries `data-node` with its model id, for the tests and
 * for colouring a node by its state later.
 */
export function renderGraph(layout: GraphLayout): SVGSVGElement {
  const width = layout.width + 2 * margin;
  const height = layout.height + 2 * margin;
  const svg = element("svg", { viewBox: `${-margin} ${-margin} ${width} ${height}`, width: String(width), height: String(height), class: "dag", role: "img" });
  const defs = element("defs", {});
  // Sized in the drawing's units, not the stroke's: a thick list edge keeps a normal arrowhead.
  const marker = element("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "8", markerHeight: "8", markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" });
  marker.append(element("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }));
  defs.append(marker);
  svg.append(defs);

  for (const f of layout.frames) {
    const group = element("g", { class: "frame", "data-fan-out": f.id });
    group.append(element("rect", { x: String(f.x), y: String(f.y), width: String(f.width), height: String(f.height), rx: "8" }));
    group.append(text(f.label, f.x + 10, f.y + 15, "frame-label"));
    svg.append(group);
  }
  for (const e of layout.edges) {
    svg.append(element("path", { d: curveThrough(e.points), class: `edge edge-${e.kind}`, "marker-end": "url(#arrow)", "data-from": e.from, "data-to": e.to }));
  }
  for (const n of layout.nodes) svg.append(node(n));
  return svg;
}

/** A smooth path down through the points: each leg leaves and arrives vertically. */
function curveThrough(points: readonly { readonly x: number; readonly y: number }[]): string {
  let d = `M ${points[0]!.x} ${points[0]!.y}`;
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1]!, points[i]!];
    const bend = Math.max(12, Math.abs(b.y - a.y) / 2);
    d += ` C ${a.x} ${a.y + bend}, ${b.x} ${b.y - bend}, ${b.x} ${b.y}`;
  }
  return d;
}

function node(n: LaidOutNode): SVGGElement {
  const group = element("g", { class: `node node-${n.kind}`, "data-node": n.id });
  const title = element("title", {});
  title.textContent = `${n.label}\n${n.detail}`;
  group.append(title);
  group.append(element("rect", { x: String(n.x), y: String(n.y), width: String(n.width), height: String(n.height), rx: n.kind === "param" ? "18" : "5" }));
  const label = n.label.length > maxLabel ? `${n.label.slice(0, maxLabel - 1)}…` : n.label;
  group.append(text(label, n.x + n.width / 2, n.y + 18, "node-label"));
  group.append(text(n.detail, n.x + n.width / 2, n.y + 35, "node-detail"));
  return group;
}

function text(content: string, x: number, y: number, className: string): SVGTextElement {
  const t = element("text", { x: String(x), y: String(y), class: className });
  t.textContent = content;
  return t;
}

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(svgNs, name);
  for (const [key, value] of Object.entries(attributes)) e.setAttribute(key, value);
  return e;
}
