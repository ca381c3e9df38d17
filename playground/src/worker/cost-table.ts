import { units } from "../../../compiler/cost.ts";
import { amountText, causes, figures, multiplierText, totalsRows } from "../../../cli/graph/costs.ts";
import type { WorkflowModel } from "../../../cli/graph/graph-model.ts";
import type { CostTable } from "../protocol.ts";

/**
 * The cost table of one workflow, from the same IR-built model and with the
 * same wording as `flow graph`'s text (cli/graph/costs.ts): each call of a
 * unit with its multiplier, attempts, one attempt's ceiling and worst case,
 * then the totals against the budget and why a verdict is not `fits`.
 */
export function costTable(w: WorkflowModel): CostTable {
  const rows = [...w.nodes.values()].flatMap((n) =>
    n.kind === "vertex"
      ? [{ vertex: n.unit, multiplier: multiplierText(n.cost), attempts: String(n.cost.attempts), perAttempt: figures(n.cost.perAttempt), worst: figures(n.cost.worst) }]
      : [],
  );
  const [, worst, budget, verdict] = totalsRows(w.worst, w.budget, w.verdicts);
  const totals = units.map((unit, i) => ({ unit, worst: worst![i + 1]!, budget: budget![i + 1]!, verdict: verdict![i + 1]! }));
  const notes = causes(w.worst);
  for (const v of w.verdicts) if (v.verdict !== "fits") notes.push(`${v.unit} ${v.verdict} ${amountText(v.ceiling, v.unit)}: ${v.derivation.join("; ")}`);
  return { rows, totals, notes };
}
