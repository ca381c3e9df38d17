import { resolve } from "node:path";
import type { Sealed } from "../interpreter/core/advance.ts";
import { parkNotice } from "../interpreter/host/park-notice.ts";
import type { DriverOptions } from "../interpreter/host/run-driver.ts";
import { deliver } from "../interpreter/host/webhook-delivery.ts";
import { bwrapDriver, bwrapWorks } from "../interpreter/sandbox/bwrap/bwrap.ts";
import { microvmDriver, microvmUnavailable } from "../interpreter/sandbox/microvm/microvm-driver.ts";
import { processDriver } from "../interpreter/sandbox/process.ts";
import { type DriverName, noSandboxSettings, type SandboxSettings } from "../interpreter/sandbox/profile.ts";
import type { SandboxDriver } from "../interpreter/sandbox/sandbox.ts";
import { Sandboxes } from "../interpreter/sandbox/sandboxes.ts";
import type { Store } from "../interpreter/store/store.ts";
import { issueReceipt } from "./commands/receipt.ts";
import { readProjectConfig } from "./project-config.ts";
import { projectModels } from "./project-models.ts";
import { ModelSettings } from "../interpreter/models/model-settings.ts";

/**
 * How every command that drives a run drives it (`run`, `resume`,
 * `approve`, `signal`, `tick`): the project's sandbox profiles, work trees under
 * `.flow/work`, the wall clock, the project's model providers, the project's webhook told of each park,
 * and a signed receipt issued every so often (hourly by default) and
 * whenever the run is let go.
 */
export function driverOptions(store: Store, options: { readonly parkAfterMs: number; readonly onEntries?: (sealed: readonly Sealed[]) => void }): DriverOptions {
  const { webhook, receipts, sandbox, models } = readProjectConfig();
  return {
    store,
    sandboxes: projectSandboxes(sandbox ?? noSandboxSettings),
    workRoot: resolve(".flow", "work"),
    clock: () => Date.now(),
    models: projectModels(models ?? ModelSettings.parse({})),
    parkAfterMs: options.parkAfterMs,
    ...(options.onEntries === undefined ? {} : { onEntries: options.onEntries }),
    account: {
      everyMs: receipts?.everyMs ?? 3_600_000,
      issue: async (run) => {
        const { file, receipt } = await issueReceipt(store, run);
        // The file is the record; the webhook, when there is one, hears of it too, as best it can.
        if (webhook !== undefined) {
          const body = { text: `receipt of run ${run} up to entry ${receipt.body.head.seq} (${receipt.body.status})`, flow: { event: "receipt", receipt } };
          await deliver(webhook.url, body, { attempts: 1, backoffMs: 0, timeoutMs: webhook.timeoutMs, clock: () => Date.now() });
        }
        return file;
      },
    },
    ...(webhook === undefined
      ? {}
      : {
          notify: (parked) =>
            deliver(webhook.url, parkNotice({ ...parked, approveHint: answerCommand(parked.run, parked.instance, parked.waitingFor) }), {
              attempts: webhook.attempts,
              backoffMs: webhook.backoffMs,
              timeoutMs: webhook.timeoutMs,
              clock: () => Date.now(),
            }),
        }),
  };
}

/**
 * The drivers behind the project's profiles, each made when first used;
 * `auto` is bwrap where a test sandbox starts, else the process driver.
 */
export function projectSandboxes(settings: SandboxSettings): Sandboxes {
  const projectDir = process.cwd();
  let bwrap: SandboxDriver | null = null;
  // Made once per process: its VMs die with it (their parent-death signal), and the next driver's reaper removes what is left.
  let microvm: SandboxDriver | null = null;
  let auto: DriverName | null = null;
  return new Sandboxes(
    settings,
    {
      process: () => processDriver,
      bwrap: () => {
        if (bwrap !== null) return bwrap;
        if (!bwrapWorks()) throw new Error("the bwrap driver needs bubblewrap, and `bwrap` is not installed here or cannot make a sandbox (apt install bubblewrap)");
        return (bwrap = bwrapDriver({ projectDir }));
      },
      microvm: () => {
        if (microvm !== null) return microvm;
        const problem = microvmUnavailable();
        if (problem !== null) throw new Error(problem);
        return (microvm = microvmDriver());
      },
    },
    { auto: () => (auto ??= bwrapWorks() ? "bwrap" : "process"), override: null },
  );
}

/** The command that answers a run parked at `instance`: `flow approve RUN merge`, `flow signal RUN ready --data JSON`. */
function answerCommand(run: string, instance: string, waitingFor: string): string {
  const name = /"(.*)"$/.exec(waitingFor)?.[1] ?? instance;
  return waitingFor.startsWith("approval ") ? `flow approve ${run} ${name}` : `flow signal ${run} ${name} --data JSON`;
}
