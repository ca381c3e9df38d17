import { graphModel, type GraphNode, type Item, type WorkflowModel } from "../../cli/graph/graph-model.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import type { RunState, VertexStatus } from "../../interpreter/core/state.ts";
import { instanceId } from "../../interpreter/core/plan.ts";
import type { GateDecision } from "../../interpreter/ledger/entry.ts";

/**
 * `GET /api/runs/:id/graph`: the DAG of the workflow the run runs, as
 * `flow graph` models it from the run's own IR (the one in its
 * `run.started`, not the file as it is now), made JSON (the node map as a
 * list), with the instances of each vertex and barrier the run has so far,
 * so a view can colour the graph and count a fan-out's items by state.
 */
export interface RunGraph {
  readonly run: string;
  readonly workflow: string;
  readonly label: string;
  readonly nodes: readonly GraphNode[];
  readonly params: readonly string[];
  readonly body: readonly Item[];
  readonly edges: WorkflowModel["edges"];
  readonly worst: WorkflowModel["worst"];
  readonly budget: WorkflowModel["budget"];
  readonly verdicts: WorkflowModel["verdicts"];
  /** Each vertex instance the run has (`sweep_dir[3]`), by the IR vertex it is of (a node's `vertex`). */
  readonly instances: Record<string, readonly { readonly instance: string; readonly status: VertexStatus; readonly attempt: number }[]>;
  /** Each fan-out instance expanded so far (`d`, `d[2]`…) and its item count. */
  readonly fanOuts: Record<string, number>;
  /** Barrier instances passed (`approve:merge`), those the run is parked at with what they wait for, and the decisions taken at gates (an `approve`'s instance, or a gated vertex's). */
  readonly barriers: { readonly passed: readonly string[]; readonly parked: Record<string, string>; readonly decided: Record<string, GateDecision> };
}

export function runGraph(ir: Ir, state: RunState): RunGraph | null {
  const model = graphModel(ir).workflows.find((w) => w.name === state.workflow);
  if (model === undefined) return null;
  const instances: Record<string, { instance: string; status: VertexStatus; attempt: number }[]> = {};
  for (const [instance, vertex] of state.vertices) (instances[instanceId(instance)] ??= []).push({ instance, status: vertex.status, attempt: vertex.attempt });
  return {
    run: state.run,
    workflow: model.name,
    label: model.label,
    nodes: [...model.nodes.values()],
    params: model.params,
    body: model.body,
    edges: model.edges,
    worst: model.worst,
    budget: model.budget,
    verdicts: model.verdicts,
    instances,
    fanOuts: Object.fromEntries([...state.fanOuts].map(([instance, fanOut]) => [instance, fanOut.items])),
    barriers: { passed: [...state.barriers], parked: Object.fromEntries(state.parked), decided: Object.fromEntries([...state.gates].map(([instance, gate]) => [instance, gate.decision])) },
  };
}
