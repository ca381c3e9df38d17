/// <reference lib="webworker" />
import type { ModuleHost } from "../../../compiler/modules.ts";
import { exampleFiles } from "../examples/bundled-examples.ts";
import type { FromWorker, ToWorker } from "../protocol.ts";
import { analyse } from "./analyse.ts";
import { formatSource } from "./format-source.ts";
import type { Simulations } from "./simulations.ts";

/**
 * The compiler, off the page's thread: a check of a large example takes
 * tens of milliseconds, which typing must never wait for. The page sends
 * every edit; edits that queued up while a check ran are skipped to the
 * newest, so a burst of typing costs one check.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
let pending: Extract<ToWorker, { kind: "analyse" }> | undefined;
let scheduled = false;
/** Loaded with the first Simulate: the interpreter's core is a chunk of its own, which editing never waits for. */
let simulations: Promise<Simulations> | undefined;

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "format":
      reply(formatSource(message.id, message.path, message.text));
      return;
    case "simulate":
    case "simulation-answer":
    case "simulation-pace":
    case "simulation-stop":
      simulations ??= import("./simulations.ts").then((m) => new m.Simulations(reply, editorHost));
      simulations.then((s) => s.receive(message)).catch((error: Error) => reply({ kind: "crashed", message: `${error.message}\n${error.stack ?? ""}` }));
      return;
    case "analyse":
      break;
  }
  pending = message;
  if (!scheduled) {
    scheduled = true;
    // A macrotask, so that messages already queued are read (and `pending` replaced) before the check runs.
    setTimeout(run, 0);
  }
};

function run(): void {
  scheduled = false;
  const message = pending;
  pending = undefined;
  if (message === undefined) return;
  try {
    reply(analyse(message.path, message.text, message.version, editorHost(message)));
  } catch (error) {
    reply({ kind: "crashed", message: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) });
  }
}

/** The editor's own file shadows the bundled one of the same path; imports come from the bundled examples. */
function editorHost(message: { readonly path: string; readonly text: string }): ModuleHost {
  return { readFile: (path) => (path === message.path ? message.text : exampleFiles.get(path)) };
}

function reply(message: FromWorker): void {
  scope.postMessage(message);
}
