import { randomBytes } from "node:crypto";
import type { Ir } from "../compiler/ir/schema.ts";
import type { Draft, Json, RunOptions } from "../interpreter/ledger/entry.ts";
import { ModelSettings } from "../interpreter/models/model-settings.ts";
import type { SandboxDriver } from "../interpreter/sandbox/sandbox.ts";
import { SandboxUnavailable, type Sandboxes } from "../interpreter/sandbox/sandboxes.ts";
import { UsageError } from "./exit-codes.ts";
import { readProjectConfig } from "./project-config.ts";
import { checkModels, modelsOf } from "./project-models.ts";

/**
 * What starting a run checks and records, wherever it is asked for
 * (`flow run`, `POST /api/runs`): the workflow named (or the file's only
 * one), nothing this version cannot run, every model's provider and key,
 * every node's sandbox; then the `run.started` entry with a fresh seed.
 * Everything is refused before anything is recorded.
 */
export interface StartRequest {
  readonly ir: Ir;
  readonly irHash: string;
  /** The program as it is named in messages: its path. */
  readonly path: string;
  readonly workflow: string | undefined;
  readonly options: RunOptions;
}

/** The workflow a run will run, checked as above. */
export function chooseRunnable(request: Pick<StartRequest, "ir" | "path" | "workflow" | "options">): string {
  const workflow = chooseWorkflow(request.ir, request.workflow, request.path);
  refuseWhatCannotRunYet(request.ir, workflow);
  checkModels(modelsOf(request.ir, workflow), readProjectConfig().models ?? ModelSettings.parse({}), request.options.script);
  return workflow;
}

/** The drivers the program's nodes will run on, or a usage error naming each node that cannot have its sandbox here. */
export function sandboxesOf(sandboxes: Sandboxes, ir: Ir): SandboxDriver[] {
  try {
    return [...sandboxes.check(ir.units)].sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    if (error instanceof SandboxUnavailable) throw new UsageError(error.message, { hint: error.hint });
    throw error;
  }
}

/** The run's first entry: its program, workflow, arguments, options and the seed of its randomness. */
export function startedDraft(request: StartRequest, workflow: string, args: Record<string, Json>, at: number): Draft & { kind: "run.started" } {
  return { kind: "run.started", at, data: { irHash: request.irHash, ir: request.ir, workflow, args, seed: randomBytes(32).toString("hex"), options: request.options } };
}

function chooseWorkflow(ir: Ir, named: string | undefined, path: string): string {
  const names = ir.workflows.map((w) => w.name);
  if (named !== undefined) {
    if (names.includes(named)) return named;
    throw new UsageError(`\`${path}\` has no workflow \`${named}\``, { hint: names.length === 0 ? "it declares none" : `its workflows: ${names.join(", ")}` });
  }
  if (names.length === 1 && names[0] !== undefined) return names[0];
  if (names.length === 0) throw new UsageError(`\`${path}\` declares no workflow to run`);
  throw new UsageError(`\`${path}\` declares ${names.length} workflows: name the one to run`, { hint: `flow run ${path} ${names[0]} (or: ${names.slice(1).join(", ")})` });
}

/** Sub-workflows need runs of their own, which this version does not have: say so before anything is recorded. */
function refuseWhatCannotRunYet(ir: Ir, workflowName: string): void {
  for (const vertex of ir.workflows.find((w) => w.name === workflowName)?.vertices ?? []) {
    if (vertex.kind === "workflow") {
      throw new UsageError(`\`${workflowName}\` calls the workflow \`${vertex.unit}\`, and this version of flow cannot run a workflow inside another yet`);
    }
  }
}
