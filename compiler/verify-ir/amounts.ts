import type { Amount, CostVector } from "../ir/cost.ts";
import type { Span } from "../ir/span.ts";

/**
 * Worst-case arithmetic on the IR's amounts (docs/ir.md, "Workflows"): a
 * number in its unit's base, or unbounded or unknown with a cause. The
 * worse answer wins (unbounded over unknown over a number), and nothing
 * times 0 is 0. Written again here, apart from the checker's, so that a
 * mistake in one is not repeated in the other.
 */

export type Unit = "tokens" | "usd" | "compute" | "wall";

export const units: readonly Unit[] = ["tokens", "usd", "compute", "wall"];

export function unbounded(what: string, span: Span): Amount {
  return { kind: "unbounded", cause: { what, span } };
}

function worse(a: Amount, b: Amount): Amount | undefined {
  if (typeof a !== "number" && a.kind === "unbounded") return a;
  if (typeof b !== "number" && b.kind === "unbounded") return b;
  if (typeof a !== "number") return a;
  if (typeof b !== "number") return b;
  return undefined;
}

export function add(a: Amount, b: Amount): Amount {
  return worse(a, b) ?? (a as number) + (b as number);
}

export function max(a: Amount, b: Amount): Amount {
  return worse(a, b) ?? Math.max(a as number, b as number);
}

/** `a / n` in whole units, rounded up: work shared among n slots. */
export function shared(a: Amount, n: number): Amount {
  return typeof a === "number" ? Math.ceil(a / n) : a;
}

export function times(n: Amount, a: Amount): Amount {
  if (n === 0 || a === 0) return 0;
  return worse(n, a) ?? (n as number) * (a as number);
}

export const zero: CostVector = { tokens: 0, usd: 0, compute: 0, wall: 0 };

/** The same figure: the same kind, and for numbers the same value but for the rounding of a different order of operations. */
export function sameAmount(a: Amount, b: Amount): boolean {
  if (typeof a === "number" || typeof b === "number") {
    if (typeof a !== "number" || typeof b !== "number") return false;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a.kind === b.kind;
}

/** Whether a figure is above a ceiling, for a vertex that could never be dispatched: unbounded is, unknown is not known to be. */
export function exceeds(a: Amount, ceiling: number): boolean {
  if (typeof a === "number") return a > ceiling * (1 + 1e-12);
  return a.kind === "unbounded";
}

/** A figure as a program would write it: `1.6G` tokens, `$2.00`, `1600h`. */
export function showAmount(a: Amount, unit: Unit): string {
  if (typeof a !== "number") return a.kind === "unbounded" ? `unbounded (${a.cause.what})` : `unknown (${a.cause.what})`;
  switch (unit) {
    case "tokens":
      return `${tokens(a)} tokens`;
    case "usd":
      return `$${a.toFixed(2)}`;
    case "compute":
    case "wall":
      return `${duration(a)} of ${unit}`;
  }
}

function tokens(n: number): string {
  for (const [suffix, size] of [["G", 1e9], ["M", 1e6], ["k", 1e3]] as const) if (n >= size) return `${Number((n / size).toPrecision(4))}${suffix}`;
  return String(Number(n.toPrecision(6)));
}

function duration(ms: number): string {
  if (ms === 0) return "0s";
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [suffix, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join("");
}
