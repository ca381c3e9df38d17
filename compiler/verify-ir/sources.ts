import type { Source } from "../ir/workflow.ts";
import type { WorkflowIndex } from "./ir-index.ts";

/** One key per value a workflow computes: what the graph's nodes are named by. */
export function sourceKey(source: Source): string {
  switch (source.kind) {
    case "param":
      return `param:${source.name}`;
    case "vertex":
      return `vertex:${source.vertex}`;
    case "fanOut":
      return `fanOut:${source.for}`;
    case "item":
      return `item:${source.for}`;
    case "signal":
      // A signal's value is its barrier's: the same node of the graph.
      return `barrier:${source.barrier}`;
    case "let":
      return `let:${source.let}`;
  }
}

/** For messages: the vertex `review`, the list `for pkg` yields. */
export function describeSource(source: Source): string {
  switch (source.kind) {
    case "param":
      return `the parameter \`${source.name}\``;
    case "vertex":
      return `the vertex \`${source.vertex}\``;
    case "fanOut":
      return `the list the fan-out \`${source.for}\` yields`;
    case "item":
      return `the item of the fan-out \`${source.for}\``;
    case "signal":
      return `the signal \`${source.barrier}\``;
    case "let":
      return `the let \`${source.let}\``;
  }
}

/** Whether the value a source names exists in the workflow. */
export function sourceResolves(source: Source, graph: WorkflowIndex): boolean {
  switch (source.kind) {
    case "param":
      return graph.workflow.params.some((p) => p.name === source.name);
    case "vertex":
      return graph.vertices.has(source.vertex);
    case "fanOut":
    case "item":
      return graph.fanOuts.has(source.for);
    case "signal":
      return graph.barriers.get(source.barrier)?.value.kind === "signal";
    case "let":
      return graph.lets.has(source.let);
  }
}
