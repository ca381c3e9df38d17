import { formatValue, labelled, units, type Unit } from "../../compiler/cost.ts";
import type { Amount, Budget, CostVector } from "../../compiler/ir/cost.ts";
import type { Verdict } from "../../compiler/ir/workflow.ts";
import type { VertexCost } from "./graph-model.ts";

/** Costs of the IR as `flow check`'s cost table writes them. */

export function amountText(a: Amount, unit: Unit): string {
  return typeof a === "number" ? formatValue(a, unit) : a.kind;
}

/** The non-zero figures of a vector: `200k tokens, $2.00, compute 5m`; `-` when all are zero. */
export function figures(v: CostVector): string {
  const parts: string[] = [];
  for (const unit of units) {
    const a = v[unit];
    if (a === 0) continue;
    const text = amountText(a, unit);
    parts.push(labelled(text, unit));
  }
  return parts.length === 0 ? "-" : parts.join(", ");
}

/** How many times a vertex may run: the fan-outs around it, `200 pkgs` or `25 flagged × 20 s.findings`; `1` outside any. */
export function multiplierText(cost: VertexCost): string {
  return cost.fanOut.length === 0 ? "1" : cost.fanOut.join(" × ");
}

/** The worst case of one vertex, derived: `200 pkgs × 4 attempts`, then its figures. */
export function derivationText(cost: VertexCost): string {
  const terms = [...cost.fanOut, ...(cost.attempts > 1 ? [`${cost.attempts} attempts`] : [])];
  return terms.join(" × ");
}

/** A workflow's totals: each unit's worst case, ceiling and verdict (`no ceiling` when the budget leaves it out). */
export function totalsRows(worst: CostVector, budget: Budget, verdicts: readonly Verdict[]): string[][] {
  return [
    ["", ...units],
    ["worst case", ...units.map((u) => amountText(worst[u], u))],
    ["budget", ...units.map((u) => (budget[u] === null ? "-" : formatValue(budget[u], u)))],
    ["verdict", ...units.map((u) => verdicts.find((v) => v.unit === u)?.verdict ?? "no ceiling")],
  ];
}

/** What leaves a figure unbounded or unknown, once per unit: `wall unbounded: the agent \`review\` has no \`timeout\``. */
export function causes(worst: CostVector): string[] {
  return units.flatMap((u) => {
    const a = worst[u];
    return typeof a === "number" ? [] : [`${u} ${a.kind}: ${a.cause.what}`];
  });
}

/** Lines of aligned columns, two spaces apart, the last column not padded. */
export function columns(rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows.map((r) => `${indent}${r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]!))).join("  ")}`.trimEnd());
}

/** The width of text in a terminal, counting each code point once (flow's labels use no wide characters). */
export function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function pad(text: string, to: number): string {
  return text + " ".repeat(Math.max(0, to - width(text)));
}
