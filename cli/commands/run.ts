import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Ir } from "../../compiler/ir/schema.ts";
import { RunDriver } from "../../interpreter/host/run-driver.ts";
import { driveToEnd } from "../drive-run.ts";
import type { DriverName } from "../../interpreter/sandbox/profile.ts";
import type { SandboxDriver } from "../../interpreter/sandbox/sandbox.ts";
import { SandboxUnavailable, type Sandboxes } from "../../interpreter/sandbox/sandboxes.ts";
import { driverOptions } from "../driver-options.ts";
import { isolationText } from "../isolation-text.ts";
import { UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { loadProgram } from "../load-program.ts";
import { readProjectConfig } from "../project-config.ts";
import { checkModels, modelsOf } from "../project-models.ts";
import { ModelSettings } from "../../interpreter/models/model-settings.ts";
import { RunProgress } from "../run-progress.ts";
import { openRunStore } from "../run-store.ts";
import { workflowArgs } from "../workflow-args.ts";

export interface RunCommandOptions {
  readonly path: string;
  readonly workflow: string | undefined;
  readonly args: readonly string[];
  readonly argsFile: string | undefined;
  readonly store: string | undefined;
  readonly detach: boolean;
  readonly concurrency: number;
  /** `--sandbox`: every node on this driver, whatever its profile says. */
  readonly sandbox: DriverName | undefined;
  /** `--script`: the scripted provider answers every model call from this fixture. */
  readonly script: string | undefined;
  /** `--park-after`: see DriverOptions.parkAfterMs. */
  readonly parkAfterMs: number;
  readonly json: boolean;
}

/**
 * `flow run FILE [WORKFLOW]`: checks and compiles the program (or takes
 * its IR), records the run's start in the store (`.flow/flow.db` by
 * default) and drives it to its end, or, with `--detach`, hands it to a
 * background process and prints its id.
 */
export async function run(options: RunCommandOptions, io: CommandIo): Promise<number> {
  const program = loadProgram(options.path, io);
  if ("exit" in program) return program.exit;
  const workflow = chooseWorkflow(program.ir, options.workflow, options.path);
  refuseWhatCannotRunYet(program.ir, workflow);
  checkModels(modelsOf(program.ir, workflow), readProjectConfig().models ?? ModelSettings.parse({}), options.script);
  const args = workflowArgs(program.ir.workflows.find((w) => w.name === workflow)!, program.ir.types, options.args, options.argsFile);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new UsageError("`--concurrency` takes a whole number above 0");
  const store = await openRunStore(options.store);
  try {
    const progress = options.json || options.detach ? null : new RunProgress(io.err, io.colorErr, () => Date.now());
    const drive = driverOptions(store, { parkAfterMs: options.parkAfterMs, onEntries: (sealed) => progress?.entries(sealed) });
    const sandboxes = sandboxesOf(drive.sandboxes.forRun(options.sandbox), program.ir);
    const at = Date.now();
    const runOptions = {
      concurrency: options.concurrency,
      ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
      ...(options.script === undefined ? {} : { script: options.script }),
    };
    const driver = await RunDriver.start(
      drive,
      { kind: "run.started", at, data: { irHash: program.hash, ir: program.ir, workflow, args, seed: randomBytes(32).toString("hex"), options: runOptions } },
      options.path,
    );
    if (options.detach) return await detach(driver, options, io);
    io.err(`run ${driver.run}: ${workflow} (${options.path})\n`);
    for (const sandbox of sandboxes) io.err(`sandbox: ${sandbox.name} (isolation ${isolationText(sandbox.isolation)})\n`);
    return await driveToEnd(driver, progress, io, options.json);
  } finally {
    await store.close();
  }
}

/** The drivers the program's nodes will run on, or a usage error naming each node that cannot have its sandbox here. */
function sandboxesOf(sandboxes: Sandboxes, ir: Ir): SandboxDriver[] {
  try {
    return [...sandboxes.check(ir.units)].sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    if (error instanceof SandboxUnavailable) throw new UsageError(error.message, { hint: error.hint });
    throw error;
  }
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

/** Leaves the run to a background `flow resume`, which writes its progress to `.flow/logs/RUN.log`. */
async function detach(driver: RunDriver, options: RunCommandOptions, io: CommandIo): Promise<number> {
  await driver.release();
  const logs = resolve(".flow", "logs");
  mkdirSync(logs, { recursive: true });
  const log = join(logs, `${driver.run}.log`);
  const out = openSync(log, "a");
  const bin = process.env["FLOW_DIST"] === undefined ? process.argv[1] : join(process.env["FLOW_DIST"], "..", "bin", "flow");
  const command = process.env["FLOW_DIST"] === undefined ? [process.execPath, bin ?? ""] : [bin ?? "flow"];
  const storeArgs = options.store === undefined ? [] : ["--store", options.store];
  const child = spawn(command[0] as string, [...command.slice(1), "resume", driver.run, ...storeArgs], { detached: true, stdio: ["ignore", out, out] });
  child.unref();
  if (options.json) io.out(`${JSON.stringify({ run: driver.run, detached: true, log })}\n`);
  else io.out(`${driver.run}\n`);
  io.err(`run ${driver.run} goes on in the background (its output: ${log}); \`flow status ${driver.run}\` or \`flow logs ${driver.run} --follow\` to watch it\n`);
  return 0;
}
