import type { BudgetResult, WorkflowCost } from "../compiler/analyse-budgets.ts";
import * as C from "../compiler/cost.ts";

/**
 * The cost table `flow check` prints for each workflow: every vertex with
 * its multiplier (the fan-outs around it), attempts, one attempt's ceiling
 * and its worst case; then the workflow's total against its budget.
 */
export function renderCostTables(budgets: BudgetResult): string {
  return budgets.workflows.map((w) => renderWorkflow(w, budgets)).join("\n");
}

function renderWorkflow(workflow: WorkflowCost, budgets: BudgetResult): string {
  const rows: string[][] = [["vertex", "×", "attempts", "one attempt", "worst case"]];
  for (const v of budgets.vertices) {
    if (v.workflow !== workflow.name) continue;
    rows.push([v.callee, v.fanOut.length === 0 ? "1" : v.fanOut.join(" × "), String(v.attempts), figures(v.perAttempt), figures(v.worst)]);
  }
  // A header over no rows reads as a table that lost its rows.
  const table = rows.length === 1 ? "  no vertices: it calls no node, agent, verifier or workflow" : columns(rows);
  const totals: string[][] = [["", ...C.units]];
  totals.push(["worst case", ...C.units.map((u) => C.formatAmount(workflow.worst[u], u))]);
  totals.push(["budget", ...C.units.map((u) => (workflow.ceiling[u] === undefined ? "-" : C.formatValue(workflow.ceiling[u], u)))]);
  totals.push(["verdict", ...C.units.map((u) => workflow.verdicts[u] ?? "no ceiling")]);
  return `cost of workflow ${workflow.name}:\n${table}\n\n${columns(totals)}\n`;
}

/** The non-zero figures of a vector: `200k tokens, $2.00, compute 5m`. */
function figures(v: C.CostVector): string {
  const parts: string[] = [];
  for (const unit of C.units) {
    const a = v[unit];
    if (a.kind === "finite" && a.value === 0) continue;
    const text = C.formatAmount(a, unit);
    parts.push(C.labelled(text, unit));
  }
  return parts.length === 0 ? "-" : parts.join(", ");
}

function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`.trimEnd()).join("\n");
}
