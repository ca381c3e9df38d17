import type { NodeProgress } from "./node-states.ts";

const svgNs = "http://www.w3.org/2000/svg";

/**
 * Colours a drawn DAG (render-svg.ts) by a run's node states: each node's
 * `data-state` (styles.css has the colours), and for a node in a fan-out
 * its counts, in place of its static detail line. Painting again only
 * changes what changed, so a live view can call it on every event.
 */
export function paintStates(svg: SVGSVGElement, states: ReadonlyMap<string, NodeProgress>): void {
  for (const group of svg.querySelectorAll<SVGGElement>("g[data-node]")) {
    const progress = states.get(group.dataset.node ?? "");
    const state = progress?.state ?? "waiting";
    if (group.dataset.state !== state) group.dataset.state = state;
    const detail = group.querySelector<SVGTextElement>(".node-detail");
    if (detail === null) continue;
    // The static detail (unit kind, worst case) is kept to show again when a node has no counts.
    detail.dataset.static ??= detail.textContent ?? "";
    const text = progress?.count ?? detail.dataset.static;
    if (detail.textContent !== text) detail.textContent = text;
    let title = group.querySelector<SVGTitleElement>("title");
    if (title === null) {
      title = document.createElementNS(svgNs, "title");
      group.prepend(title);
    }
    title.dataset.static ??= title.textContent ?? "";
    title.textContent = `${title.dataset.static}\n${state}${progress?.count ? `: ${progress.count}` : ""}`;
  }
}
