import { cpSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleForNode } from "../bundle-for-node.ts";
import { repoRoot } from "../run-cli.ts";
import { type Exit, type FlowProcess, spawnGroup } from "./children.ts";

/**
 * A private copy of the built command line (bin/flow and dist/, with the
 * repository's node_modules beside them, as the launcher test installs
 * it): `npm run build` starts by deleting dist/, and a build elsewhere in
 * the tree during the crash test's minute of runs must not pull the
 * command from under it. Byte for byte the command users run.
 */
export function installCli(root: string): string {
  const install = join(root, "cli");
  mkdirSync(install, { recursive: true });
  cpSync(join(repoRoot, "bin"), join(install, "bin"), { recursive: true });
  cpSync(join(repoRoot, "dist"), join(install, "dist"), { recursive: true, filter: (path) => !path.endsWith(".map") });
  symlinkSync(join(repoRoot, "node_modules"), join(install, "node_modules"));
  return join(install, "bin", "flow");
}

export interface Finished extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a `flow` command to its end (as a process group of its own, ended with the test if need be). */
export async function flow(bin: string, args: readonly string[], cwd: string): Promise<Finished> {
  const child: FlowProcess = spawnGroup(bin, args, cwd);
  const exit = await child.exited;
  return { ...exit, stdout: child.stdout, stderr: child.stderr };
}

/** The run id a `flow run` or `flow resume` names on its first line of standard error (`run ID: …`). */
export function runIdIn(stderr: string): string | null {
  return /^run (\d{8}-\d{6}-[0-9a-f]{6})[: ]/m.exec(stderr)?.[1] ?? null;
}

/** How a command ended, for a failure message. */
export function describe(result: Finished, args: readonly string[]): string {
  const how = result.signal === null ? `exit ${String(result.code)}` : `signal ${result.signal}`;
  return `flow ${args.join(" ")} → ${how}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

/**
 * Bundles test/support/crash/restore-child.ts beside the private copy of
 * the command line (whose node_modules its imports resolve to), with the
 * build's own plugin for the std library's `.flow?raw` imports.
 */
export function bundleRestoreChild(root: string): Promise<string> {
  return bundleForNode(fileURLToPath(new URL("./restore-child.ts", import.meta.url)), join(root, "cli", "restore-child.mjs"), true);
}
