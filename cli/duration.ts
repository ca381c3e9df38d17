import { InvalidArgumentError } from "commander";
const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as the command line takes it (`90s`, `5m`, `2h`, `1.5h`), in milliseconds; null when it is not one. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) return null;
  return Math.round(Number(match[1]) * (units[match[2] as string] as number));
}

/** A duration option of the command line (`--park-after 90s`, `--wait 1m`): milliseconds, or commander's error. */
export function durationOption(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new InvalidArgumentError("a duration such as 0s, 90s, 5m or 2h");
  return ms;
}
