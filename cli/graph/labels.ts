import { formatValue, units } from "../../compiler/cost.ts";
import { causes, derivationText, figures } from "./costs.ts";
import type { GraphNode, WorkflowModel } from "./graph-model.ts";

/** The lines of a node's label in a diagram (Mermaid, DOT): what it is, and for a call its worst case. */
export function nodeLines(node: GraphNode): string[] {
  switch (node.kind) {
    case "vertex": {
      const derivation = derivationText(node.cost);
      const worst = figures(node.cost.worst);
      return [node.label, derivation === "" ? node.unitKind : `${node.unitKind} · ${derivation}`, `worst: ${worst === "-" ? "0" : worst}`];
    }
    case "gate":
      return [node.label, "held for approval"];
    default:
      return [node.label];
  }
}

/** A workflow's totals in a few lines: its worst case, its budget and each verdict. */
export function totalsLines(w: WorkflowModel): string[] {
  const budget = units.flatMap((u) => {
    const ceiling = w.budget[u];
    if (ceiling === null) return [];
    const text = formatValue(ceiling, u);
    return [u === "tokens" ? `${text} tokens` : u === "usd" ? text : `${u} ${text}`];
  });
  return [
    `worst case: ${figures(w.worst)}`,
    `budget: ${budget.length === 0 ? "none" : budget.join(", ")}`,
    ...(w.verdicts.length === 0 ? [] : [`verdict: ${w.verdicts.map((v) => `${v.unit} ${v.verdict}`).join(", ")}`]),
    ...causes(w.worst),
  ];
}
