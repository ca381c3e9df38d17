import { stdModules } from "../index.ts";
import { httpImplementations } from "./http.ts";
import type { Implementation } from "./implementation.ts";
import { jsonImplementations } from "./json.ts";
import { listImplementations } from "./list.ts";
import { sandboxImplementations } from "./sandbox.ts";
import { textImplementations } from "./text.ts";
import { timeImplementations } from "./time.ts";
import { verifyImplementations } from "./verify.ts";

const byModule: Readonly<Record<string, Readonly<Record<string, Implementation>>>> = {
  "std/sandbox": sandboxImplementations,
  "std/list": listImplementations,
  "std/text": textImplementations,
  "std/json": jsonImplementations,
  "std/time": timeImplementations,
  "std/http": httpImplementations,
  "std/verify": verifyImplementations,
};

/** An op's id in the IR: `std/sandbox:git.diff@1`, the module at the version this flow has. */
export function opId(module: string, name: string): string {
  const std = stdModules.get(module);
  if (std === undefined) throw new Error(`internal: \`${module}\` is not a std module`);
  return `${module}:${name}@${std.version}`;
}

/**
 * Every std function and step, by op id: what the interpreter calls for an
 * IR op. Each id carries its module's current version (stdlib/index.ts):
 * an implementation is of that version's declaration, and a test holds the
 * two to each other (test/stdlib-declarations.test.ts).
 */
export const implementations: ReadonlyMap<string, Implementation> = new Map(
  Object.entries(byModule).flatMap(([module, functions]) => Object.entries(functions).map(([name, implementation]) => [opId(module, name), implementation] as const)),
);
