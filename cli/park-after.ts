import { InvalidArgumentError } from "commander";
import { parseDuration } from "./duration.ts";

/** The default of `--park-after`: a run waits here for a timer at most this far off. */
export const defaultParkAfterMs = 60_000;

/**
 * `--park-after 90s`: a run with nothing in flight whose next timer is
 * further off than this parks (the process exits; `flow tick` continues
 * it when the time comes) rather than waiting in this process.
 */
export function parseParkAfter(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new InvalidArgumentError("a duration such as 0s, 90s, 5m or 2h");
  return ms;
}
