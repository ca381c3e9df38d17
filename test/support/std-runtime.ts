import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { stdTable } from "../../compiler/verify-ir/std-table.ts";
import type { Json } from "../../interpreter/ledger/entry.ts";
import { processDriver } from "../../interpreter/sandbox/process.ts";
import type { Effect } from "../../compiler/ir/effect.ts";
import { builtInProfile, type DriverName, type ResolvedProfile } from "../../interpreter/sandbox/profile.ts";
import type { SandboxRequest, SandboxSession, WorkTreeStart } from "../../interpreter/sandbox/sandbox.ts";
import type { Args, Implementation, StdFailure, StepContext, Value } from "../../stdlib/runtime/implementation.ts";
import { implementations, opId } from "../../stdlib/runtime/index.ts";

/**
 * Calling std implementations as the interpreter does: by op id, with
 * arguments named as the declaration names its parameters (an argument the
 * declaration does not have fails the test, so an implementation reading
 * a misspelt name cannot pass by luck).
 */

function implementation(module: string, name: string, args: Args): Implementation {
  const declared = stdTable().get(module)?.functions.get(name);
  expect(declared, `${module} declares ${name}`).toBeDefined();
  for (const key of Object.keys(args)) expect(declared!.params, `${module}:${name} has a parameter \`${key}\``).toContain(key);
  const found = implementations.get(opId(module, name));
  expect(found, `an implementation of ${module}:${name}`).toBeDefined();
  return found!;
}

export function callPure(module: string, name: string, args: Record<string, Value>): Json {
  const found = implementation(module, name, args);
  if (found.kind !== "function") throw new Error(`${module}:${name} is a step`);
  return found.call(args);
}

export interface StepOutcome {
  readonly recorded: Json;
  readonly value: Json;
}

/** Runs a step, checks its recorded form survives the ledger's JSON unchanged, and derives its value from it. */
export async function runStep(module: string, name: string, context: StepContext, args: Record<string, Json>): Promise<StepOutcome> {
  const found = implementation(module, name, args);
  if (found.kind !== "step") throw new Error(`${module}:${name} is a pure function`);
  const recorded = await found.run(context, args);
  expect(JSON.parse(JSON.stringify(recorded))).toEqual(recorded);
  return { recorded, value: found.value(recorded) };
}

/** The failure a promise or a call ends with, as `{kind, message}`. */
export async function failureOf(run: Promise<unknown> | (() => unknown)): Promise<{ kind: string; message: string }> {
  try {
    await (typeof run === "function" ? run() : run);
  } catch (error) {
    expect(error).toHaveProperty("kind");
    const failure = error as StdFailure;
    return { kind: failure.kind, message: failure.message };
  }
  throw new Error("expected a StdFailure, and it succeeded");
}

export const testStepId = "5".repeat(64);

/** Temporary directories under the OS's, removed by `removeAll` (call it in `afterAll`). */
export class TempDirs {
  private readonly made: string[] = [];

  async make(prefix = "flow-std-"): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.made.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Every effect a node can be granted, whole. */
export const allEffects: readonly Effect[] = (["fs.read", "fs.write", "proc", "net", "llm", "clock"] as const).map((name) => ({ name, scope: null }));

/** The built-in profile, on `driver`, sharing nothing of the host, changed by `more`. */
export function testProfile(driver: DriverName, more: Partial<ResolvedProfile> = {}): ResolvedProfile {
  return { ...builtInProfile, share: [], name: "default", driver, ...more };
}

/** A request for a sandbox on `workTree`, granting every effect unless told otherwise; objects beside the tree. */
export function testRequest(
  workTree: string,
  driver: DriverName,
  more: { readonly effects?: readonly Effect[]; readonly start?: WorkTreeStart; readonly profile?: Partial<ResolvedProfile> } = {},
): SandboxRequest {
  return {
    workTree,
    effects: more.effects ?? allEffects,
    profile: testProfile(driver, more.profile),
    start: more.start ?? { kind: "keep" },
    objects: `${workTree}.objects`,
  };
}

/** A `process` session on a fresh work tree, and a step context for it. */
export async function processContext(dirs: TempDirs, stepId = testStepId): Promise<StepContext & { readonly session: SandboxSession }> {
  const session = await processDriver.acquire(testRequest(await dirs.make(), "process"));
  return { session, stepId, signal: new AbortController().signal };
}
