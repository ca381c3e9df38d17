import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.ts";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const binary = fileURLToPath(new URL("../../bin/flow", import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the `flow` launcher in a child process, exactly as a user types it. */
export function runFlow(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string; executable?: string } = {},
): CliResult {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...options.env };
  if (options.env?.["FORCE_COLOR"] === undefined) delete env["FORCE_COLOR"];
  if (options.env?.["FLOW_NO_SNAPSHOT"] === undefined) delete env["FLOW_NO_SNAPSHOT"];
  const result = spawnSync(options.executable ?? binary, [...args], {
    cwd: options.cwd ?? repoRoot,
    env,
    input: options.input ?? "",
    encoding: "utf8",
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the command line in this process (no colour): fast enough for hundreds of golden files. */
export async function runFlowInProcess(args: readonly string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    colorOut: false,
    colorErr: false,
  });
  return { code, stdout, stderr };
}
