import type { Ir } from "../../compiler/ir/schema.ts";
import type { Op, Unit } from "../../compiler/ir/unit.ts";
import type { Barrier, FanOut, Vertex, Workflow } from "../../compiler/ir/workflow.ts";

/**
 * A run's program, indexed: the verified IR and the workflow it runs, with
 * its vertices, fan-outs, barriers and callees by id. Derived from the IR
 * alone (the `run.started` entry holds it), so a replay on another machine
 * builds the same plan.
 */
export interface RunPlan {
  readonly ir: Ir;
  readonly irHash: string;
  readonly workflow: Workflow;
  readonly units: ReadonlyMap<string, Unit>;
  readonly ops: ReadonlyMap<string, Op>;
  readonly vertices: ReadonlyMap<string, Vertex>;
  readonly fanOuts: ReadonlyMap<string, FanOut>;
  readonly barriers: ReadonlyMap<string, Barrier>;
}

export function planRun(ir: Ir, irHash: string, workflowName: string): RunPlan {
  const workflow = ir.workflows.find((w) => w.name === workflowName);
  if (workflow === undefined) throw new Error(`the IR has no workflow \`${workflowName}\``);
  return {
    ir,
    irHash,
    workflow,
    units: new Map(ir.units.map((u) => [u.name, u])),
    ops: new Map(ir.ops.map((o) => [o.id, o])),
    vertices: new Map(workflow.vertices.map((v) => [v.id, v])),
    fanOuts: new Map(workflow.fanOuts.map((f) => [f.id, f])),
    barriers: new Map(workflow.barriers.map((b) => [b.id, b])),
  };
}

/**
 * An instance is an element of the workflow once per item of the fan-outs
 * around it: `migrate_package[3]`, `classify_finding[2][0]`; at the top,
 * its id alone. `path` is the `[i]…` part.
 */
export function instanceKey(id: string, path: string): string {
  return path === "" ? id : `${id}${path}`;
}

/** The element id of an instance key: splitInstance's `id`, without making the path. */
export function instanceId(key: string): string {
  const at = key.indexOf("[");
  return at === -1 ? key : key.slice(0, at);
}

/** The element id and item path of an instance key. */
export function splitInstance(key: string): { readonly id: string; readonly path: string } {
  // Ids never contain `[`: they are flow names with `#N` and `:` (docs/ir.md).
  const at = key.indexOf("[");
  return at === -1 ? { id: key, path: "" } : { id: key.slice(0, at), path: key.slice(at) };
}

/** The fan-out instance an item path lies in, and the item's index: `[2][0]` of `f` is item 0 of `f[2]`. */
export function enclosingItem(fanOut: string, path: string): { readonly instance: string; readonly item: number } {
  const open = path.lastIndexOf("[");
  return { instance: instanceKey(fanOut, path.slice(0, open)), item: Number(path.slice(open + 1, -1)) };
}
