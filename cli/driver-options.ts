import { resolve } from "node:path";
import type { Sealed } from "../interpreter/core/advance.ts";
import { parkNotice } from "../interpreter/host/park-notice.ts";
import type { DriverOptions } from "../interpreter/host/run-driver.ts";
import { deliver } from "../interpreter/host/webhook-delivery.ts";
import { processDriver } from "../interpreter/sandbox/process.ts";
import type { Store } from "../interpreter/store/store.ts";
import { readProjectConfig } from "./project-config.ts";

/**
 * How every command that drives a run drives it (`run`, `resume`,
 * `approve`, `signal`, `tick`): the process sandbox, work trees under
 * `.flow/work`, the wall clock, and the project's webhook told of each park.
 */
export function driverOptions(store: Store, options: { readonly parkAfterMs: number; readonly onEntries?: (sealed: readonly Sealed[]) => void }): DriverOptions {
  const webhook = readProjectConfig().webhook;
  return {
    store,
    sandbox: processDriver,
    workRoot: resolve(".flow", "work"),
    clock: () => Date.now(),
    parkAfterMs: options.parkAfterMs,
    ...(options.onEntries === undefined ? {} : { onEntries: options.onEntries }),
    ...(webhook === undefined
      ? {}
      : {
          notify: (notice) =>
            deliver(webhook.url, parkNotice(notice), { attempts: webhook.attempts, backoffMs: webhook.backoffMs, timeoutMs: webhook.timeoutMs, clock: () => Date.now() }),
        }),
  };
}
