import { step } from "./define.ts";
import type { Implementation } from "./implementation.ts";

/** std/time (stdlib/time.flow). */
export const timeImplementations: Readonly<Record<string, Implementation>> = {
  // The one reading of the clock in std: a step, so it is journaled and a replay sees the time the run saw.
  // Reading it again has no effect on the world, hence idempotent (a re-run after a crash reads a later time, which is fine: it was never recorded).
  now: step({
    idempotent: true,
    run: async () => Math.floor(Date.now() / 1000),
  }),
};
