import type { GraphEdge, GraphNode, Placement } from "./graph-model.ts";

/**
 * The edges of order that carry no value, added to the data edges of a
 * workflow's graph so that a picture of it says what waits for what:
 *
 * - a barrier starts once every node above it (since the barrier before
 *   it, outside the other arm of a branch it is in) has finished, and what
 *   follows it in its block starts only once it has passed;
 * - the nodes of a branch's arms start only once its condition chose them.
 *
 * Only the edges no path already implies are added: the last nodes of what
 * a barrier waits for, the first ones of what waits for it. Nodes are
 * visited in the order the body computes them, which the data edges follow.
 */
export function orderEdges(
  nodes: ReadonlyMap<string, GraphNode>,
  placement: ReadonlyMap<string, Placement>,
  data: readonly GraphEdge[],
): GraphEdge[] {
  const order = [...nodes.values()].filter((n) => n.kind !== "param");
  const position = new Map(order.map((n, i) => [n.id, i]));
  const succ = new Map<string, Set<string>>();
  const pred = new Map<string, Set<string>>();
  /** The readers of the list each fan-out yields: every node inside the fan-out reaches them. */
  const listReaders = new Map<string, Set<string>>();
  const link = (from: string, to: string, fromList: boolean): void => {
    if (!succ.has(from)) succ.set(from, new Set());
    if (!pred.has(to)) pred.set(to, new Set());
    succ.get(from)!.add(to);
    pred.get(to)!.add(from);
    const item = nodes.get(from);
    if (fromList && item?.kind === "item") {
      if (!listReaders.has(item.fanOut)) listReaders.set(item.fanOut, new Set());
      listReaders.get(item.fanOut)!.add(to);
    }
  };
  for (const e of data) link(e.from, e.to, e.fromList);

  const added: GraphEdge[] = [];
  const add = (from: string, to: string): void => {
    link(from, to, false);
    added.push({ from, to, kind: "order", fromList: false, values: [] });
  };
  const successors = (id: string): string[] => [
    ...(succ.get(id) ?? []),
    ...placement.get(id)!.fanOuts.flatMap((f) => [...(listReaders.get(f) ?? [])]),
  ];

  /** `from` precedes each of `candidates` (in order), directly or through one it already precedes. */
  const precede = (from: string, candidates: readonly GraphNode[]): void => {
    const reached = new Set([from]);
    for (const n of candidates) {
      if (![...(pred.get(n.id) ?? [])].some((p) => reached.has(p))) add(from, n.id);
      reached.add(n.id);
    }
  };
  /** Each of `candidates` precedes `to`, directly or through one that already does. */
  const follow = (to: string, candidates: readonly GraphNode[]): void => {
    const reaching = new Set([to]);
    for (const n of [...candidates].reverse()) {
      if (!successors(n.id).some((s) => reaching.has(s))) add(n.id, to);
      reaching.add(n.id);
    }
  };

  for (const c of order) {
    if (c.kind !== "condition") continue;
    for (const arm of ["then", "else"]) precede(c.id, order.filter((n) => placement.get(n.id)!.arms.includes(`${c.id}/${arm}`)));
  }
  for (const b of order) {
    if (b.kind !== "barrier") continue;
    const at = position.get(b.id)!;
    const since = b.after === null ? -1 : position.get(b.after)!;
    const arms = placement.get(b.id)!.arms;
    const otherArm = (n: GraphNode): boolean =>
      placement.get(n.id)!.arms.some((a) => {
        const [condition, arm] = a.split("/");
        return arms.some((mine) => mine.startsWith(`${condition}/`) && mine !== `${condition}/${arm}`);
      });
    follow(b.id, order.slice(since + 1, at).filter((n) => !otherArm(n)));
    precede(b.id, order.slice(at + 1).filter((n) => n.after === b.id));
  }

  // Each pass above sees only its own candidates: drop an edge the others have come to imply (a condition's edge
  // into a node a barrier in its arm already precedes), the later ones first.
  const kept = [...added];
  for (let i = kept.length - 1; i >= 0; i--) {
    const e = kept[i]!;
    if (reaches(e.from, e.to, [...data, ...kept.filter((k) => k !== e)], nodes, placement)) kept.splice(i, 1);
  }
  return kept;
}

/** Whether a path leads from `from` to `to` along `edges`, a fan-out's list leaving from every node inside it. */
function reaches(
  from: string,
  to: string,
  edges: readonly GraphEdge[],
  nodes: ReadonlyMap<string, GraphNode>,
  placement: ReadonlyMap<string, Placement>,
): boolean {
  const out = new Map<string, string[]>();
  const listReaders = new Map<string, string[]>();
  for (const e of edges) {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e.to);
    const item = nodes.get(e.from);
    if (e.fromList && item?.kind === "item") {
      if (!listReaders.has(item.fanOut)) listReaders.set(item.fanOut, []);
      listReaders.get(item.fanOut)!.push(e.to);
    }
  }
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const next of [...(out.get(n) ?? []), ...placement.get(n)!.fanOuts.flatMap((f) => listReaders.get(f) ?? [])]) {
      if (next === to) return true;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}
