import { derive, type VertexCost, type WorkflowCost, wallLine } from "../analyse-budgets.ts";
import * as C from "../cost.ts";
import type { Amount, Budget, CostVector } from "../ir/cost.ts";
import type { Verdict as VerdictEntry } from "../ir/workflow.ts";

/** Costs as the IR writes them: a number in the unit's base, or what makes it unbounded or unknown. */
export function amount(a: C.Amount, path: (file: string) => string): Amount {
  if (a.kind === "finite") return a.value;
  const { file, start, end } = a.cause.span;
  return { kind: a.kind, cause: { what: a.cause.what, span: { file: path(file), start, end } } };
}

export function vector(v: C.CostVector, path: (file: string) => string): CostVector {
  return {
    tokens: amount(v.tokens, path),
    usd: amount(v.usd, path),
    compute: amount(v.compute, path),
    wall: amount(v.wall, path),
  };
}

export function budget(ceiling: Partial<Record<C.Unit, number>>): Budget {
  return {
    tokens: ceiling.tokens ?? null,
    usd: ceiling.usd ?? null,
    compute: ceiling.compute ?? null,
    wall: ceiling.wall ?? null,
  };
}

/**
 * A workflow's verdict for each unit its budget limits, with one line per
 * vertex that costs any of it, in source order. Tokens, dollars and compute
 * add up over the lines; for wall time the lines give the vertices' time,
 * every instance, and a last line adds it, shared among the run's slots, to
 * the critical path.
 */
export function verdicts(
  workflow: WorkflowCost,
  vertices: readonly VertexCost[],
  path: (file: string) => string,
): VerdictEntry[] {
  const entries: VerdictEntry[] = [];
  for (const unit of C.units) {
    const verdict = workflow.verdicts[unit];
    const ceiling = workflow.ceiling[unit];
    if (verdict === undefined || ceiling === undefined) continue;
    const derivation = vertices.filter((v) => !isZero(v.worst[unit])).map((v) => `${v.callee}: ${derive(v, unit)}`);
    if (unit === "wall") derivation.push(wallLine(workflow.wall));
    entries.push({ unit, verdict, worst: amount(workflow.worst[unit], path), ceiling, derivation });
  }
  return entries;
}

function isZero(a: C.Amount): boolean {
  return a.kind === "finite" && a.value === 0;
}
