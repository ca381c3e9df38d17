import type { VertexCost, WorkflowCost } from "../analyse-budgets.ts";
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
 * add up over the lines; wall time follows the critical path through
 * them, so its lines give each vertex's own time and its retries.
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
    entries.push({ unit, verdict, worst: amount(workflow.worst[unit], path), ceiling, derivation });
  }
  return entries;
}

function isZero(a: C.Amount): boolean {
  return a.kind === "finite" && a.value === 0;
}

function derive(v: VertexCost, unit: C.Unit): string {
  const attempts = v.attempts > 1 ? [`${v.attempts} attempts`] : [];
  const one = C.formatAmount(v.perAttempt[unit], unit);
  const worst = C.formatAmount(v.worst[unit], unit);
  if (unit !== "wall") return `${[...v.fanOut, ...attempts, one].join(" × ")} = ${worst}`;
  // Wall time is not multiplied by the fan-out: its items run side by side. What retries add beyond their attempts is backoff.
  const attemptsTime = C.times(C.finite(v.attempts), v.perAttempt.wall);
  const backoff = v.worst.wall.kind === "finite" && attemptsTime.kind === "finite" ? v.worst.wall.value - attemptsTime.value : 0;
  const waits = backoff > 0 ? ` + ${C.formatValue(backoff, "wall")} backoff` : "";
  return `${[...attempts, one].join(" × ")}${waits} = ${worst}`;
}
