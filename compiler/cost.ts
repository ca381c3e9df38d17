import type { FileSpan } from "../language/diagnostics/diagnostic.ts";

/**
 * Worst-case costs. A figure is a number in its unit's base (tokens, US
 * dollars, milliseconds), or unbounded (nothing in the program limits it),
 * or, for money only, unknown (a model's price is not in the price table):
 * never silently 0.
 */
export type Unit = "tokens" | "usd" | "compute" | "wall";

export const units: readonly Unit[] = ["tokens", "usd", "compute", "wall"];

/** What makes a figure unbounded or unknown, for the message that names it. */
export interface Cause {
  readonly span: FileSpan;
  readonly what: string;
}

export type Amount =
  | { readonly kind: "finite"; readonly value: number }
  | { readonly kind: "unbounded"; readonly cause: Cause }
  | { readonly kind: "unknown"; readonly cause: Cause };

export type CostVector = Readonly<Record<Unit, Amount>>;

export const zero: Amount = { kind: "finite", value: 0 };
export const finite = (value: number): Amount => ({ kind: "finite", value });
export const zeroVector: CostVector = { tokens: zero, usd: zero, compute: zero, wall: zero };

/** Unbounded beats unknown beats finite: the worse answer wins, with its cause. */
function worse(a: Amount, b: Amount): Amount | undefined {
  if (a.kind === "unbounded") return a;
  if (b.kind === "unbounded") return b;
  if (a.kind === "unknown") return a;
  if (b.kind === "unknown") return b;
  return undefined;
}

export function add(a: Amount, b: Amount): Amount {
  return worse(a, b) ?? finite((a as { value: number }).value + (b as { value: number }).value);
}

export function max(a: Amount, b: Amount): Amount {
  return worse(a, b) ?? finite(Math.max((a as { value: number }).value, (b as { value: number }).value));
}

/** `a / n` in whole units, rounded up: work shared among n slots. */
export function shared(a: Amount, n: number): Amount {
  return a.kind === "finite" ? finite(Math.ceil(a.value / n)) : a;
}

/** `n × a`; a count that is itself unbounded makes anything non-zero unbounded. */
export function times(n: Amount, a: Amount): Amount {
  if (a.kind === "finite" && a.value === 0) return zero;
  if (n.kind === "finite" && n.value === 0) return zero;
  return worse(n, a) ?? finite((n as { value: number }).value * (a as { value: number }).value);
}

export function mapVector(v: CostVector, f: (a: Amount, unit: Unit) => Amount): CostVector {
  return { tokens: f(v.tokens, "tokens"), usd: f(v.usd, "usd"), compute: f(v.compute, "compute"), wall: f(v.wall, "wall") };
}

export function addVectors(a: CostVector, b: CostVector): CostVector {
  // Sums start from zero, step by step: adding nothing is the other vector, and needs no new one.
  if (a === zeroVector) return b;
  if (b === zeroVector) return a;
  return { tokens: add(a.tokens, b.tokens), usd: add(a.usd, b.usd), compute: add(a.compute, b.compute), wall: add(a.wall, b.wall) };
}

export function maxVectors(a: CostVector, b: CostVector): CostVector {
  return mapVector(a, (x, unit) => max(x, b[unit]));
}

/** A figure as a program would write it: `1.6G`, `$2.00`, `2h30m`. */
/** A figure with its unit named where its text does not name it: `200k tokens`, `$2.00`, `usd unknown`, `compute 5m`. */
export function labelled(text: string, unit: Unit): string {
  if (unit === "tokens") return `${text} tokens`;
  return unit === "usd" && text.startsWith("$") ? text : `${unit} ${text}`;
}

export function formatAmount(amount: Amount, unit: Unit): string {
  if (amount.kind === "unbounded") return "unbounded";
  if (amount.kind === "unknown") return "unknown";
  return formatValue(amount.value, unit);
}

export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case "tokens":
      return formatTokens(value);
    case "usd":
      return formatUsd(value);
    case "compute":
    case "wall":
      return formatDuration(value);
  }
}

/** Dollars to the cent; under a cent, to the hundredth of one: a few model calls shown as $0.00 would look free. */
export function formatUsd(value: number): string {
  return value > 0 && value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

function formatTokens(n: number): string {
  for (const [suffix, size] of [["G", 1e9], ["M", 1e6], ["k", 1e3]] as const) {
    if (n >= size) return `${trim(n / size)}${suffix}`;
  }
  return String(n);
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2).replace(/\.?0+$/, "");
}

export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  // Under a minute, a part of a second is not dropped: 3500ms is 3.5s, not 3s.
  if (ms >= 1000 && ms < 60_000 && ms % 1000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  const parts: string[] = [];
  let rest = Math.round(ms);
  // Hours, not days: budgets are written `compute: 150h`.
  for (const [suffix, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  if (parts.length === 0) return `${rest}ms`;
  return parts.join("");
}
