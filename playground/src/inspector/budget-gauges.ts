import type { CostUnit } from "../../../compiler/ir/cost.ts";
import { amount } from "../../../interpreter/core/budget.ts";
import type { RunSummary } from "../../server/api-types.ts";
import { el } from "./element.ts";

const units: readonly CostUnit[] = ["tokens", "usd", "compute", "wall"];

/**
 * What the run has spent of each ceiling of its envelope, as bars: amber
 * from 70%, red from 90%. A unit without a ceiling shows what was spent,
 * with no bar; one without either is left out.
 */
export function budgetGauges(summary: Pick<RunSummary, "spent" | "ceilings">): HTMLElement {
  const gauges = units.flatMap((unit) => {
    const spent = summary.spent[unit];
    const ceiling = summary.ceilings[unit];
    if (ceiling === null && spent === 0) return [];
    if (ceiling === null) return [el("div", { class: "gauge", "data-unit": unit }, el("span", { class: "gauge-unit" }, unit), el("span", { class: "gauge-text" }, `${amount(unit, spent)} (no ceiling)`))];
    const share = ceiling === 0 ? 1 : Math.min(1, spent / ceiling);
    const level = share >= 0.9 ? "high" : share >= 0.7 ? "warn" : "ok";
    const bar = el("div", { class: "gauge-bar", role: "meter", "aria-label": `${unit} spent`, "aria-valuemin": "0", "aria-valuemax": String(ceiling), "aria-valuenow": String(spent) });
    bar.append(el("div", { class: `gauge-fill gauge-${level}`, style: `width: ${(share * 100).toFixed(1)}%` }));
    return [el("div", { class: "gauge", "data-unit": unit }, el("span", { class: "gauge-unit" }, unit), bar, el("span", { class: "gauge-text" }, `${amount(unit, spent)} of ${amount(unit, ceiling)} · ${Math.round(share * 100)}%`))];
  });
  return el("div", { class: "gauges", "aria-label": "budget" }, ...(gauges.length > 0 ? gauges : [el("span", { class: "muted" }, "no ceilings, nothing spent yet")]));
}
