import type { GraphEdge, GraphNode, Item } from "../../../cli/graph/graph-model.ts";
import { instanceId } from "../../../interpreter/core/plan.ts";
import type { VertexStatus } from "../../../interpreter/core/state.ts";
import type { RunGraph } from "../../server/run-graph.ts";

/** What a node of the DAG shows of a run: the colour it is painted. */
export type NodeState = "waiting" | "running" | "parked" | "done" | "failed" | "skipped";

export interface NodeProgress {
  readonly state: NodeState;
  /** For a node with several instances (inside a fan-out): `12/40 done · 2 running`; null for a node that runs once. */
  readonly count: string | null;
}

/** How far a run has come: what `GET /api/runs/:id/graph` answers besides the model, and what the playground's simulator keeps. */
export type RunProgress = Pick<RunGraph, "instances" | "fanOuts" | "barriers">;

/**
 * Each node's state in a run, from its instances: a vertex from its
 * instances' statuses, a gate and a barrier from where the run is parked
 * and what was decided there, a fan-out's items once it is expanded, and a
 * `let` or a condition once everything it reads is done. Nodes inside a
 * fan-out count their instances against the items expanded so far.
 */
export function nodeStates(nodes: readonly GraphNode[], edges: readonly GraphEdge[], body: readonly Item[], progress: RunProgress): Map<string, NodeProgress> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const fanOutOf = new Map<string, string>();
  enclosingFanOuts(body, null, fanOutOf);
  const itemsOf = (node: string): number | null => {
    const fanOut = fanOutOf.get(node);
    if (fanOut === undefined) return null;
    let items = 0;
    for (const [key, count] of Object.entries(progress.fanOuts)) if (instanceId(key) === fanOut) items += count;
    return items;
  };
  const states = new Map<string, NodeProgress>();
  for (const node of nodes) {
    switch (node.kind) {
      case "param":
        states.set(node.id, { state: "done", count: null });
        break;
      case "vertex": {
        const instances = progress.instances[node.vertex] ?? [];
        states.set(node.id, ofInstances(instances.map((i) => vertexState(i.status)), itemsOf(node.id)));
        break;
      }
      case "gate": {
        const vertex = byId.get(node.vertex);
        const instances = vertex?.kind === "vertex" ? (progress.instances[vertex.vertex] ?? []).map((i) => i.instance) : [];
        states.set(node.id, ofInstances(instances.map((i) => waitState(i, progress, false)), itemsOf(node.id)));
        break;
      }
      case "barrier": {
        const barrier = node.id.slice("barrier:".length);
        const instances = new Set([...progress.barriers.passed, ...Object.keys(progress.barriers.parked), ...Object.keys(progress.barriers.decided)].filter((i) => instanceId(i) === barrier));
        states.set(node.id, ofInstances([...instances].map((i) => waitState(i, progress, true)), itemsOf(node.id)));
        break;
      }
      case "item": {
        const expanded = Object.keys(progress.fanOuts).some((key) => instanceId(key) === node.fanOut);
        states.set(node.id, { state: expanded ? "done" : "waiting", count: null });
        break;
      }
      case "let":
      case "condition": {
        // Computed in the body from what it reads: done once all of that is (nodes come in the order the body computes them).
        const reads = edges.filter((e) => e.to === node.id && e.kind === "data");
        const done = reads.length > 0 && reads.every((e) => states.get(e.from)?.state === "done");
        states.set(node.id, { state: done ? "done" : "waiting", count: null });
        break;
      }
    }
  }
  return states;
}

function vertexState(status: VertexStatus): NodeState {
  switch (status) {
    case "scheduled":
    case "running":
    case "retrying":
    case "interrupted":
      return "running";
    case "failed":
      return "failed";
    case "completed":
      return "done";
    case "skipped":
      return "skipped";
  }
}

/** A gate's or a barrier's instance: parked, decided, passed (a barrier), or not reached. */
function waitState(instance: string, progress: RunProgress, passes: boolean): NodeState {
  if (instance in progress.barriers.parked) return "parked";
  const decided = progress.barriers.decided[instance];
  if (decided === "reject") return "failed";
  if (decided === "approve") return "done";
  return passes && progress.barriers.passed.includes(instance) ? "done" : "waiting";
}

/** One state for all of a node's instances: the most pressing one, and for a node in a fan-out, the counts. */
function ofInstances(states: readonly NodeState[], items: number | null): NodeProgress {
  const n = (s: NodeState) => states.filter((t) => t === s).length;
  const state: NodeState =
    states.length === 0
      ? "waiting"
      : n("running") > 0
        ? "running"
        : n("parked") > 0
          ? "parked"
          : n("failed") > 0
            ? "failed"
            : n("skipped") === states.length
              ? "skipped"
              : n("done") + n("skipped") === (items ?? states.length)
                ? "done"
                : n("done") > 0
                  ? "running"
                  : "waiting";
  if (items === null) return { state, count: null };
  const parts = [`${n("done")}/${items} done`];
  for (const s of ["running", "parked", "failed", "skipped"] as const) if (n(s) > 0) parts.push(`${n(s)} ${s}`);
  return { state, count: parts.join(" · ") };
}

function enclosingFanOuts(items: readonly Item[], fanOut: string | null, into: Map<string, string>): void {
  for (const item of items) {
    switch (item.kind) {
      case "node":
        if (fanOut !== null) {
          into.set(item.node, fanOut);
          if (item.gate !== null) into.set(item.gate, fanOut);
        }
        break;
      case "fanOut":
        enclosingFanOuts(item.body, item.fanOut.id, into);
        break;
      case "branch":
        enclosingFanOuts(item.then, fanOut, into);
        enclosingFanOuts(item.else, fanOut, into);
        break;
    }
  }
}
