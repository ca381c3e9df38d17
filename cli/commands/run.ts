import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatValue } from "../../compiler/cost.ts";
import { defaultConcurrency } from "../../compiler/ir/concurrency.ts";
import type { Workflow } from "../../compiler/ir/workflow.ts";
import { RunDriver } from "../../interpreter/host/run-driver.ts";
import type { RunOptions } from "../../interpreter/ledger/entry.ts";
import { driveToEnd } from "../drive-run.ts";
import type { DriverName } from "../../interpreter/sandbox/profile.ts";
import { driverOptions } from "../driver-options.ts";
import { isolationText } from "../isolation-text.ts";
import { UsageError } from "../exit-codes.ts";
import type { CommandIo } from "../io.ts";
import { loadProgram } from "../load-program.ts";
import { RunProgress } from "../run-progress.ts";
import { chooseRunnable, sandboxesOf, startedDraft } from "../run-start.ts";
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
  const runOptions: RunOptions = {
    concurrency: options.concurrency,
    ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
    ...(options.script === undefined ? {} : { script: options.script }),
  };
  const request = { ir: program.ir, irHash: program.hash, path: options.path, workflow: options.workflow, options: runOptions };
  const workflow = chooseRunnable(request);
  const args = workflowArgs(program.ir.workflows.find((w) => w.name === workflow)!, program.ir.types, options.args, options.argsFile);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new UsageError("`--concurrency` takes a whole number above 0");
  const store = await openRunStore(options.store, { create: true });
  try {
    const progress = options.json || options.detach ? null : new RunProgress(io.err, io.colorErr, () => Date.now());
    const drive = driverOptions(store, { parkAfterMs: options.parkAfterMs, onEntries: (sealed) => progress?.entries(sealed) });
    const sandboxes = sandboxesOf(drive.sandboxes.forRun(options.sandbox), program.ir);
    const driver = await RunDriver.start(drive, startedDraft(request, workflow, args, Date.now()), options.path);
    if (options.detach) return await detach(driver, options, io);
    io.err(`run ${driver.run}: ${workflow} (${options.path})\n`);
    for (const sandbox of sandboxes) io.err(`sandbox: ${sandbox.name} (isolation ${isolationText(sandbox.isolation)})\n`);
    const notice = fewerSlotsNotice(program.ir.workflows.find((w) => w.name === workflow)!, options.concurrency);
    if (notice !== null) io.err(`${notice}\n`);
    progress?.headed();
    return await driveToEnd(driver, progress, io, options.json);
  } finally {
    await store.close();
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

/** A wall ceiling checked against a worst case that assumed the run's default slots, when `--concurrency` gives fewer. */
function fewerSlotsNotice(workflow: Workflow, concurrency: number): string | null {
  if (workflow.budget.wall === null || concurrency >= defaultConcurrency) return null;
  const worst = typeof workflow.cost.worst.wall === "number" ? formatValue(workflow.cost.worst.wall, "wall") : "its worst case";
  return `note: \`${workflow.name}\`'s wall time was checked against its ceiling (${formatValue(workflow.budget.wall, "wall")}) with ${defaultConcurrency} vertices at once (worst case ${worst}); with --concurrency ${concurrency} it may take longer, and flow stops dispatching at the ceiling`;
}
