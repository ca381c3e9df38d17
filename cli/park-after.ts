import { InvalidArgumentError } from "commander";

/** The default of `--park-after`: a run waits here for a timer at most this far off. */
export const defaultParkAfterMs = 60_000;

const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--park-after 90s`: a run with nothing in flight whose next timer is
 * further off than this parks (the process exits; `flow tick` continues
 * it when the time comes) rather than waiting in this process.
 */
export function parseParkAfter(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError("a duration such as 0s, 90s, 5m or 2h");
  return Number(match[1]) * (units[match[2] as string] as number);
}
