import { existsSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { z } from "zod";
import type { CommandIo } from "../../cli/io.ts";
import { loadProgram } from "../../cli/load-program.ts";
import { chooseRunnable, sandboxesOf, startedDraft } from "../../cli/run-start.ts";
import { checkedArgs } from "../../cli/workflow-args.ts";
import { type DriverOptions, RunDriver } from "../../interpreter/host/run-driver.ts";
import { defaultConcurrency } from "../../compiler/ir/concurrency.ts";
import { Json, type RunOptions } from "../../interpreter/ledger/entry.ts";
import { DriverName } from "../../interpreter/sandbox/profile.ts";
import { ApiError } from "./api-error.ts";
import type { RunDrives } from "./run-drives.ts";

/** `POST /api/runs`: what `flow run FILE [WORKFLOW] --arg … --sandbox … --script … --concurrency …` takes, as JSON. */
export const StartBody = z.strictObject({
  /** The program: a `.flow` file (or IR from `flow compile`), by its path in the project. */
  source: z.string().min(1),
  workflow: z.string().min(1).optional(),
  /** The workflow's arguments by name, as JSON values (a `string` parameter takes a JSON string). */
  args: z.record(z.string(), Json).optional(),
  sandbox: DriverName.optional(),
  /** A scripted model's fixture, by its path in the project. */
  script: z.string().min(1).optional(),
  concurrency: z.int().positive().optional(),
});

/** What `POST /api/runs` answers (201). */
export interface StartedRun {
  readonly run: string;
  readonly workflow: string;
  readonly source: string;
  readonly said: string;
}

export interface StartContext {
  readonly drives: RunDrives;
  readonly driverOptions: () => DriverOptions;
  /** The project's directory: programs and scripts are read from inside it only. */
  readonly root: string;
  readonly clock: () => number;
}

/**
 * Starts a run for the holder of a token, checked as `flow run` checks it
 * (the same code: the program compiled and verified, the workflow chosen,
 * models, sandboxes and arguments checked) before anything is recorded,
 * then driven here in the background: the answer comes once `run.started`
 * and the first decisions are durable, and the run's event stream shows
 * the rest.
 */
export async function startRun(body: z.infer<typeof StartBody>, holder: string, context: StartContext): Promise<StartedRun> {
  const source = projectFile(context.root, body.source, "source");
  const script = body.script === undefined ? undefined : projectFile(context.root, body.script, "script");
  const printed: string[] = [];
  const io: CommandIo = { out: (text) => printed.push(text), err: (text) => printed.push(text), colorOut: false, colorErr: false };
  const program = loadProgram(source, io);
  if ("exit" in program) {
    throw new ApiError(422, "does_not_compile", `\`${source}\` does not compile:\n\n${printed.join("").trim()}`, `\`flow check ${source}\` says the same`);
  }
  const options: RunOptions = {
    concurrency: body.concurrency ?? defaultConcurrency,
    ...(body.sandbox === undefined ? {} : { sandbox: body.sandbox }),
    ...(script === undefined ? {} : { script }),
  };
  const request = { ir: program.ir, irHash: program.hash, path: source, workflow: body.workflow, options };
  const workflow = chooseRunnable(request);
  const args = checkedArgs(program.ir.workflows.find((w) => w.name === workflow)!, program.ir.types, body.args ?? {});
  const drive = context.driverOptions();
  sandboxesOf(drive.sandboxes.forRun(body.sandbox), program.ir);
  const driver = await RunDriver.start(drive, startedDraft(request, workflow, args, context.clock()), source);
  context.drives.adopt(driver);
  return { run: driver.run, workflow, source, said: `run ${driver.run}: ${workflow} (${source}), started by ${holder}` };
}

/** A file of the project by its path there, as the commands name it: never one outside it. */
function projectFile(root: string, path: string, what: "source" | "script"): string {
  const full = resolve(root, path);
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new ApiError(400, "outside_project", `\`${what}\` must name a file in the project, and \`${path}\` is outside it`, `a path relative to ${root}`);
  }
  if (!existsSync(full) || !statSync(full).isFile()) throw new ApiError(404, "no_such_file", `the project has no file \`${path}\``, `a path relative to ${root}`);
  return relative(root, full);
}
