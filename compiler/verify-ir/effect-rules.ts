import type { Effect } from "../ir/effect.ts";

/**
 * The scope rules of effects (grammar.md §9), written again here so that
 * the verifier shares nothing with the checker: an unscoped effect covers
 * every scope of it, a scoped one only that scope, and `fs.write` covers
 * `fs.read` (writing a tree needs reading it), whole or scope by scope.
 */

/** Whether `held` allows everything `effect` allows: how a workflow's grants are held against what its callees declare. */
export function covers(held: readonly Effect[], effect: Effect): boolean {
  const holds = (name: Effect["name"]): boolean =>
    held.some((h) => h.name === name && (h.scope === null || (effect.scope !== null && h.scope === effect.scope)));
  return holds(effect.name) || (effect.name === "fs.read" && holds("fs.write"));
}

/**
 * Whether `held` allows some use of `effect`: how a unit's `effects`
 * clause is held against the steps it calls (`sh` needs `proc`; a node
 * declaring `net("a.com")` may call a step that needs `net`, and its
 * sandbox enforces the scope).
 */
export function coversSome(held: readonly Effect[], effect: Effect): boolean {
  if (effect.scope !== null) return covers(held, effect);
  return held.some((h) => h.name === effect.name || (effect.name === "fs.read" && h.name === "fs.write"));
}

/** As written in a clause: `proc`, `fs.write("pkgs/**")`. */
export function showEffect(effect: Effect): string {
  return effect.scope === null ? effect.name : `${effect.name}(${JSON.stringify(effect.scope)})`;
}

export function showEffects(effects: readonly Effect[]): string {
  const shown = effects.map((e) => `\`${showEffect(e)}\``);
  if (shown.length <= 1) return shown[0] ?? "nothing";
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

const order = ["fs.read", "fs.write", "proc", "net", "llm", "clock"];

/** A set of effects in its one written form: whole effects absorb their scopes, names in order, scopes sorted. */
export function normalEffects(effects: readonly Effect[]): Effect[] {
  const whole = new Set(effects.filter((e) => e.scope === null).map((e) => e.name));
  const kept = new Map<string, Effect>();
  for (const e of effects) if (e.scope === null || !whole.has(e.name)) kept.set(showEffect(e), e);
  return [...kept.values()].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name) || ((a.scope ?? "") < (b.scope ?? "") ? -1 : (a.scope ?? "") > (b.scope ?? "") ? 1 : 0));
}
