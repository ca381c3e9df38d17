import { InvalidArgumentError } from "commander";
import type { Budget } from "../compiler/ir/cost.ts";
import { numericMeaning } from "../language/quantities.ts";
import { parseDuration } from "./duration.ts";

/**
 * `--budget tokens=2M,usd=5.00,compute=2h,wall=3h`: the ceilings of a fresh
 * envelope, each unit optional (one not given keeps its ceiling).
 */
export function parseBudget(text: string): Partial<Record<keyof Budget, number>> {
  const ceilings: Partial<Record<keyof Budget, number>> = {};
  for (const part of text.split(",")) {
    const [unit, value, extra] = part.split("=").map((s) => s.trim());
    if (value === undefined || extra !== undefined || value === "") throw new InvalidArgumentError(`\`${part}\` is not UNIT=AMOUNT (tokens=2M, usd=5.00, compute=2h, wall=3h)`);
    const amount = parseAmount(unit ?? "", value);
    if (amount === null) throw new InvalidArgumentError(`\`${part}\`: ${hint(unit ?? "")}`);
    ceilings[unit as keyof Budget] = amount;
  }
  return ceilings;
}

function parseAmount(unit: string, value: string): number | null {
  switch (unit) {
    case "tokens": {
      // As a program writes them (`2M`, `1.5G`), or a plain count.
      const meaning = numericMeaning(value);
      if (meaning.kind === "number") return meaning.integer ? meaning.value : null;
      return meaning.kind === "quantity" && meaning.dimension === "tokens" ? meaning.value : null;
    }
    case "usd": {
      // `$5.00`, as a program writes it, or the number alone.
      const meaning = numericMeaning(value);
      if (meaning.kind === "number") return meaning.value;
      return meaning.kind === "quantity" && meaning.dimension === "money" ? meaning.value : null;
    }
    case "compute":
    case "wall":
      return parseDuration(value);
    default:
      return null;
  }
}

function hint(unit: string): string {
  switch (unit) {
    case "tokens":
      return "tokens take a count: 500k, 2M";
    case "usd":
      return "usd takes dollars: 5.00";
    case "compute":
    case "wall":
      return `${unit} takes a duration: 90s, 2h, 1h30m`;
    default:
      return `\`${unit}\` is not a unit: tokens, usd, compute or wall`;
  }
}

/**
 * What continues a run its budget stopped: `flow resume RUN --budget …`
 * naming the units the run has a ceiling in (only those can have stopped it).
 */
export function freshEnvelopeHint(run: string, ceilings: Budget): string {
  const limited = (["tokens", "usd", "compute", "wall"] as const).filter((unit) => ceilings[unit] !== null);
  const units = limited.length === 0 ? ["compute"] : limited;
  return `\`flow resume ${run} --budget ${units.map((unit) => `${unit}=…`).join(",")}\` continues it with a fresh envelope`;
}
