import { formatDuration } from "../../compiler/cost.ts";
import * as arg from "./arguments.ts";
import { step } from "./define.ts";
import { gitImplementations } from "./git-steps.ts";
import { grep } from "./grep.ts";
import { type Implementation, outOfMemory, StdFailure } from "./implementation.ts";
import { jsonOrNull } from "./json-or-null.ts";
import { splitLines } from "./split-lines.ts";

/**
 * std/sandbox (stdlib/sandbox.flow): every step goes through the node's
 * sandbox session, which confines paths to the work tree (a path that
 * leaves it fails as `Failed`, as does a missing file).
 */
export const sandboxImplementations: Readonly<Record<string, Implementation>> = {
  /**
   * Recorded `{exit, stdout, stderr}`; the body also sees `lines` and
   * `json`, derived from stdout. A non-zero exit is a result; passing the
   * `timeout` is `Timeout`. The command finds its journal id in
   * `FLOW_STEP_ID`, an idempotency key for whatever it calls. Not
   * idempotent: a command may do anything, and may do it twice when the
   * process dies before its result is recorded.
   */
  sh: step({
    idempotent: false,
    run: async ({ session, stepId, signal }, args) => {
      const command = arg.string(args, "command");
      const timeoutMs = arg.optionalNumber(args, "timeout");
      const result = await session.exec(command, { timeoutMs, env: { FLOW_STEP_ID: stepId }, signal });
      if (result.timedOut) throw new StdFailure("Timeout", `\`${command}\` was stopped when its timeout (${formatDuration(timeoutMs ?? 0)}) passed`);
      if (result.outOfMemory) throw new StdFailure("Failed", outOfMemory(`\`${command}\``));
      return { exit: result.exit, stdout: result.stdout, stderr: result.stderr };
    },
    value: (recorded) => {
      const shell = arg.recordOf(recorded, "the recorded result of `sh`");
      const stdout = arg.string(shell, "stdout");
      return { exit: arg.int(shell, "exit"), stdout, stderr: arg.string(shell, "stderr"), lines: splitLines(stdout), json: jsonOrNull(stdout) };
    },
  }),
  read_file: step({ idempotent: true, run: ({ session }, args) => session.readFile(arg.string(args, "path")) }),
  // Idempotent: a re-run writes the same bytes again. Text is written as UTF-8; the result counts bytes.
  write_file: step({ idempotent: true, run: ({ session }, args) => session.writeFile(arg.string(args, "path"), arg.string(args, "text")) }),
  // The glob language: interpreter/sandbox/glob.ts.
  list_files: step({ idempotent: true, run: ({ session }, args) => session.listFiles(arg.string(args, "glob")) }),
  grep,
  ...gitImplementations,
};
