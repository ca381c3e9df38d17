import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../compiler/compile-ir.ts";
import { irHash } from "../../compiler/ir/hash.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import { SourceFile } from "../../language/source-file.ts";
import type { ModuleHost } from "../../compiler/modules.ts";
import type { Sealed } from "../../interpreter/core/advance.ts";
import { type DriverOptions, RunDriver } from "../../interpreter/host/run-driver.ts";
import type { Json } from "../../interpreter/ledger/entry.ts";
import { processDriver } from "../../interpreter/sandbox/process.ts";
import { Sandboxes } from "../../interpreter/sandbox/sandboxes.ts";
import type { Store } from "../../interpreter/store/store.ts";

/** Compiles a program given as text (one file, std imports only) and returns its IR. */
export function compileText(text: string, name = "main.flow"): Ir {
  const host: ModuleHost = { readFile: () => undefined };
  const result = compile(new SourceFile(name, text), host);
  if (result.ir === undefined) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return result.ir;
}

/** Runs a workflow of an IR to its end on the process sandbox, and returns the driver and every entry recorded. */
export async function runProgram(store: Store, ir: Ir, workflow: string, args: Record<string, Json> = {}, concurrency = 16, more: Partial<DriverOptions> = {}) {
  const entries: Sealed[] = [];
  const workRoot = mkdtempSync(join(tmpdir(), "flow-run-"));
  const driver = await RunDriver.start(
    { store, sandboxes: Sandboxes.only(processDriver), workRoot, clock: () => Date.now(), onEntries: (sealed) => entries.push(...sealed), ...more },
    { kind: "run.started", at: Date.now(), data: { irHash: irHash(ir), ir, workflow, args, seed: "0".repeat(64), options: { concurrency } } },
    "main.flow",
  );
  const outcome = await driver.drive();
  return { driver, outcome, entries, workRoot };
}
