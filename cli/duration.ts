import { InvalidArgumentError } from "commander";
import { numericMeaning } from "../language/quantities.ts";

/** A duration as a program writes one (`90s`, `5m`, `2h`, `1.5h`, `1h30m`), in milliseconds; null when it is not one. */
export function parseDuration(text: string): number | null {
  const meaning = numericMeaning(text.trim());
  return meaning.kind === "quantity" && meaning.dimension === "duration" ? meaning.value : null;
}

/** A duration option of the command line (`--park-after 90s`, `--wait 1m`): milliseconds, or commander's error. */
export function durationOption(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new InvalidArgumentError("a duration such as 0s, 90s, 5m or 2h");
  return ms;
}
