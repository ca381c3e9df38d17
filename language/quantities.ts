import type { Dimension } from "./ast.ts";

/**
 * What a numeric token means. Values are computed from the decimal digits
 * with integer arithmetic, so `1.1s` is exactly 1100 ms and `1.5G` exactly
 * 1,500,000,000 tokens, never 1100.0000000000002.
 */
export type NumericMeaning =
  | { readonly kind: "number"; readonly value: number; readonly integer: boolean }
  | { readonly kind: "quantity"; readonly dimension: Dimension; readonly value: number }
  | { readonly kind: "error"; readonly code: "FL0104" | "FL0105"; readonly message: string; readonly help: string; readonly label?: string };

interface Unit {
  readonly dimension: Dimension;
  /** Base units per one of this unit: tokens, milliseconds. */
  readonly factor: bigint;
}

const units: Readonly<Record<string, Unit>> = {
  k: { dimension: "tokens", factor: 1_000n },
  M: { dimension: "tokens", factor: 1_000_000n },
  G: { dimension: "tokens", factor: 1_000_000_000n },
  ms: { dimension: "duration", factor: 1n },
  s: { dimension: "duration", factor: 1_000n },
  m: { dimension: "duration", factor: 60_000n },
  h: { dimension: "duration", factor: 3_600_000n },
  d: { dimension: "duration", factor: 86_400_000n },
};

export const unitHelp = "units are `k` `M` `G` (tokens), `ms` `s` `m` `h` `d` (durations) and `%`; money is written `$1.50`";

/** Spelled-out units people reach for, and the unit flow writes for them. */
const longUnitNames: Readonly<Record<string, string>> = {
  msec: "ms",
  msecs: "ms",
  millis: "ms",
  milliseconds: "ms",
  millisecond: "ms",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  day: "d",
  days: "d",
  kb: "k",
  thousand: "k",
  mb: "M",
  million: "M",
  gb: "G",
  billion: "G",
};

/** `1.005` × 1000 as written decimals (`1005`), never through floating point. */
function timesThousand(whole: string, fraction: string): string {
  const digits = (whole + fraction.padEnd(3, "0")).replace(/^0+(?=\d)/, "");
  const point = digits.length - Math.max(0, fraction.length - 3);
  const text = `${digits.slice(0, point)}${point < digits.length ? "." + digits.slice(point) : ""}`;
  return text;
}

/** The unit a word stands for, written apart from its number (`2 hours`, `30 s`), if any. */
export function unitForWord(word: string): string | undefined {
  if (Object.hasOwn(units, word)) return word;
  return longUnitNames[word.toLowerCase()];
}

const numberPattern = /^(\d+)(?:\.(\d+))?(.*)$/s;

export function numericMeaning(raw: string): NumericMeaning {
  // Most numbers are small plain integers (`3`) or whole quantities (`30s`, `200k`): no regex, no BigInt.
  let leadingDigits = 0;
  while (leadingDigits < raw.length && raw.charCodeAt(leadingDigits) >= 48 && raw.charCodeAt(leadingDigits) <= 57) leadingDigits++;
  if (leadingDigits > 0 && leadingDigits <= 15) {
    if (leadingDigits === raw.length) return { kind: "number", value: Number(raw), integer: true };
    const unit = units[raw.slice(leadingDigits)];
    if (unit !== undefined) {
      const value = Number(raw.slice(0, leadingDigits)) * Number(unit.factor);
      if (Number.isSafeInteger(value)) return { kind: "quantity", dimension: unit.dimension, value };
    }
  }
  const money = raw.startsWith("$");
  const match = numberPattern.exec(money ? raw.slice(1) : raw);
  if (match === null) return { kind: "error", code: "FL0105", message: `\`${raw}\` is not a number`, help: unitHelp };
  const whole = match[1]!;
  const fraction = match[2] ?? "";
  const suffix = match[3] ?? "";
  const digits = whole + fraction;

  if (money) {
    if (suffix !== "") {
      const scaled = suffix === "k" ? ` (\`$${timesThousand(whole, fraction)}\`)` : "";
      return {
        kind: "error",
        code: "FL0104",
        message: `an amount of money takes no unit, but \`${raw}\` has \`${suffix}\``,
        help: `write the dollars out${scaled}, as in \`$1500\` or \`$0.60\``,
      };
    }
    return safe(raw, { kind: "quantity", dimension: "money", value: Number(`${whole}.${fraction || "0"}`) });
  }
  if (suffix === "") {
    return safe(raw, { kind: "number", value: Number(raw), integer: fraction === "" });
  }
  if (suffix === "%") {
    return safe(raw, { kind: "quantity", dimension: "percent", value: Number(`${whole}.${fraction || "0"}`) / 100 });
  }
  const unit = units[suffix];
  if (unit === undefined) {
    const compound = fraction === "" ? compoundDuration(raw) : undefined;
    if (compound !== undefined) return compound;
    const amount = `${whole}${fraction ? "." + fraction : ""}`;
    if (/^[eE]\d+$/.test(suffix)) {
      return {
        kind: "error",
        code: "FL0104",
        message: `\`${raw}\` uses exponent notation, which flow does not have`,
        help: `write the number out, or use a unit: \`${amount}G\` tokens is ${amount} × 10^9; ${unitHelp}`,
      };
    }
    if (whole === "0" && fraction === "" && /^[xXbBoO]/.test(suffix)) {
      return {
        kind: "error",
        code: "FL0104",
        message: `\`${raw}\` looks like a hexadecimal, binary or octal number, which flow does not have`,
        help: "write the number in decimal",
      };
    }
    const close = Object.keys(units).find((u) => u.toLowerCase() === suffix.toLowerCase()) ?? longUnitNames[suffix.toLowerCase()];
    return {
      kind: "error",
      code: "FL0104",
      message: `\`${suffix}\` is not a unit`,
      help: close === undefined ? unitHelp : `did you mean \`${amount}${close}\`? ${unitHelp}`,
    };
  }
  // A whole number of units (`30s`, `200k`) whose product is exact in floating point needs no BigInt.
  if (fraction === "") {
    const value = Number(whole) * Number(unit.factor);
    if (Number.isSafeInteger(value)) return { kind: "quantity", dimension: unit.dimension, value };
  }
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(digits) * unit.factor;
  if (scaled % scale !== 0n) {
    const what = unit.dimension === "tokens" ? "a whole number of tokens" : "a whole number of milliseconds";
    return {
      kind: "error",
      code: "FL0105",
      message: `\`${raw}\` is not ${what}`,
      help: "use fewer decimal places or a smaller unit",
    };
  }
  return safe(raw, { kind: "quantity", dimension: unit.dimension, value: Number(scaled / scale) });
}

/** Duration units, largest first: the order the parts of a compound duration take. */
const durationOrder: readonly string[] = ["d", "h", "m", "s", "ms"];

/**
 * `1h30m`, `2m30s`, `1d12h`: whole numbers of duration units, each unit once, largest first, as flow's cost tables
 * write durations, so that a figure they show can be written back as a budget. Undefined for a token of another
 * shape (a unit that is not a duration's among them, say), which is then reported as an unknown unit.
 */
function compoundDuration(raw: string): NumericMeaning | undefined {
  const parts = [...raw.matchAll(/(\d+)([a-z]+)/g)];
  if (parts.length < 2 || parts.map((p) => p[0]).join("") !== raw) return undefined;
  let value = 0n;
  let rank = -1;
  for (const [, digits, unit] of parts) {
    const next = durationOrder.indexOf(unit!);
    if (next === -1) return undefined;
    if (next <= rank) {
      return {
        kind: "error",
        code: "FL0104",
        message: `the parts of the duration \`${raw}\` are not in order`,
        label: "units out of order",
        help: "write a duration's parts from the largest unit down, each unit once, as in `1h30m` or `2m30s`",
      };
    }
    rank = next;
    value += BigInt(digits!) * units[unit!]!.factor;
  }
  return safe(raw, { kind: "quantity", dimension: "duration", value: Number(value) });
}

function safe(raw: string, meaning: NumericMeaning): NumericMeaning {
  if (meaning.kind === "error") return meaning;
  const exactInteger =
    meaning.kind === "number" ? meaning.integer : meaning.dimension === "tokens" || meaning.dimension === "duration";
  if (!Number.isFinite(meaning.value) || (exactInteger && !Number.isSafeInteger(meaning.value))) {
    const limit =
      meaning.kind === "quantity" && meaning.dimension === "duration"
        ? "a duration must be below 2^53 milliseconds (about 285,000 years)"
        : "numbers must be below 2^53 (9,007,199,254,740,992)";
    return { kind: "error", code: "FL0105", message: `\`${raw}\` is too large`, help: limit };
  }
  return meaning;
}
