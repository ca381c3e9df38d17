import type * as A from "../../language/ast.ts";
import type { Unit as CostUnit } from "../cost.ts";
import { EffectSet, isEffectName, type Effect as CheckedEffect } from "../effect-set.ts";
import type { Effect } from "../ir/effect.ts";

/** Clauses read for the IR. A program that checked clean has only valid entries in them. */

export function clauseOf<K extends A.Clause["kind"]>(
  decl: { readonly clauses: readonly A.Clause[] },
  kind: K,
): Extract<A.Clause, { kind: K }> | undefined {
  return decl.clauses.find((c): c is Extract<A.Clause, { kind: K }> => c.kind === kind);
}

/** A constant string's text: gate names, profiles, labels, scopes (no interpolation is allowed in them). */
export function constantText(s: A.StringLit): string {
  return s.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
}

/** An `effects` or `grants` clause as a set: in the order of the effect names, scopes sorted, what a whole effect covers folded into it. */
export function clauseEffects(clause: A.EffectsClause | A.GrantsClause | undefined): Effect[] {
  if (clause === undefined) return [];
  const effects: CheckedEffect[] = [];
  for (const ref of clause.effects) {
    const name = ref.path.map((p) => p.name).join(".");
    if (isEffectName(name)) effects.push({ name, scope: ref.scope === null ? null : constantText(ref.scope) });
  }
  return effectList(EffectSet.of(effects));
}

export function effectList(set: EffectSet): Effect[] {
  return [...set].map((e) => ({ name: e.name, scope: e.scope }));
}

/** A `budget { … }` clause's ceilings, in base units. */
export function budgetCeilings(clause: A.BudgetClause | undefined): Partial<Record<CostUnit, number>> {
  const ceiling: Partial<Record<CostUnit, number>> = {};
  for (const entry of clause?.entries ?? []) {
    const key = entry.key.name;
    if (key === "tokens" || key === "usd" || key === "compute" || key === "wall") ceiling[key] = entry.value.value;
  }
  return ceiling;
}
