/**
 * A `flow run` stand-in for test/crash-resume.test.ts, to be killed at one
 * exact moment: the moment a retry's work tree is to be restored from a
 * checkpoint, which is too short to hit with a random SIGKILL.
 *
 *   restore-child.mjs IR.json STORE-SPEC ARGS-JSON
 *
 * Runs the IR's workflow as `flow run` does (the process sandbox, work
 * trees under .flow/work in the current directory), except that when an
 * attempt asks for its tree restored from a checkpoint it prints
 * `restoring RUN` and waits, never restoring, to be SIGKILLed there;
 * `flow resume RUN` then takes over. Bundled by the test (esbuild), as
 * test/support/store-child.ts is.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Ir } from "../../../compiler/ir/schema.ts";
import { RunDriver } from "../../../interpreter/host/run-driver.ts";
import type { Json } from "../../../interpreter/ledger/entry.ts";
import { processDriver } from "../../../interpreter/sandbox/process.ts";
import type { SandboxDriver } from "../../../interpreter/sandbox/sandbox.ts";
import { Sandboxes } from "../../../interpreter/sandbox/sandboxes.ts";
import { openStore } from "../../../interpreter/store/open-store.ts";

const [irFile, spec, argsText] = process.argv.slice(2);
if (irFile === undefined || spec === undefined || argsText === undefined) throw new Error("usage: restore-child.mjs IR.json STORE-SPEC ARGS-JSON");
const { hash, ir } = JSON.parse(readFileSync(irFile, "utf8")) as { hash: string; ir: Ir };
const workflow = ir.workflows[0]?.name;
if (workflow === undefined) throw new Error(`${irFile} has no workflow`);

let run = "";
const stopsAtRestore: SandboxDriver = {
  ...processDriver,
  async acquire(request) {
    if (request.start.kind === "restore") {
      process.stdout.write(`restoring ${run}\n`);
      await new Promise(() => {});
    }
    return processDriver.acquire(request);
  },
};

const store = await openStore(spec, process.cwd());
const at = Date.now();
const driver = await RunDriver.start(
  { store, sandboxes: Sandboxes.only(stopsAtRestore), workRoot: resolve(".flow", "work"), clock: () => Date.now() },
  { kind: "run.started", at, data: { irHash: hash, ir, workflow, args: JSON.parse(argsText) as Record<string, Json>, seed: "0".repeat(64), options: { concurrency: 16, sandbox: "process" } } },
  irFile,
);
run = driver.run;
process.stdout.write(`run ${run}\n`);
const outcome = await driver.drive();
process.stdout.write(`${outcome}\n`);
await store.close();
