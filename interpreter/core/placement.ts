import type { Vertex } from "../../compiler/ir/workflow.ts";
import { enclosingItem, type RunPlan } from "./plan.ts";

/**
 * Where an instance of the workflow lies: its vertex in the plan, and the
 * fan-out items around it, innermost first. The fold (apply.ts) asks this
 * of nearly every entry it records (the attempt's reservation, the items
 * it begins, the items it changes), so the common case is worked out
 * without slicing the key: a vertex instance of the same vertex as the one
 * before, directly in a fan-out at the top (`noop[41]`).
 */
export interface Placement {
  readonly vertex: Vertex | undefined;
  readonly items: readonly FanOutItem[];
}

/** An item of a fan-out instance. */
export interface FanOutItem {
  readonly instance: string;
  readonly item: number;
}

/**
 * The placement of the vertex instance looked at last, and the vertex
 * whose instance it was: entries about one instance come together
 * (scheduled, then the two placements the fold asks for), and a fan-out's
 * items are instances of the same few vertices. It is the plan's and the
 * key's alone: nothing of the state.
 */
let last: { readonly plan: RunPlan; readonly instance: string; readonly id: string; readonly placement: Placement } | null = null;

export function placementOf(plan: RunPlan, instance: string): Placement {
  if (last !== null && last.instance === instance && last.plan === plan) return last.placement;
  // Ids never contain `[`: they are flow names with `#N` and `:` (docs/ir.md).
  const open = instance.indexOf("[");
  const sameVertex = last !== null && last.plan === plan && (open === -1 ? last.id === instance : last.id.length === open && instance.startsWith(last.id));
  const id = sameVertex ? (last as { readonly id: string }).id : open === -1 ? instance : instance.slice(0, open);
  const vertex = sameVertex ? (last as { readonly placement: Placement }).placement.vertex : plan.vertices.get(id);
  const placement = { vertex, items: open === -1 ? [] : itemsAround(plan, vertex?.fanOut ?? null, instance, open) };
  last = { plan, instance, id, placement };
  return placement;
}

/** The fan-out items an element lies in (its key, its path from `open`), directly in the fan-out `fanOutId`, innermost first. */
export function itemsAround(plan: RunPlan, fanOutId: string | null, key: string, open: number): FanOutItem[] {
  if (fanOutId === null) return [];
  // An element directly in a fan-out at the top, one item deep: that fan-out's id is its instance, and the item is
  // the number in the brackets, read where it is. Any other path (nested, or a number not as decide writes it) is
  // read the long way.
  const item = plan.fanOuts.get(fanOutId)?.parent === null ? decimalItem(key, open) : -1;
  if (item !== -1) return [{ instance: fanOutId, item }];
  const items: FanOutItem[] = [];
  let id: string | null = fanOutId;
  let itemPath = key.slice(open);
  while (id !== null && itemPath !== "") {
    items.push(enclosingItem(id, itemPath));
    itemPath = itemPath.slice(0, itemPath.lastIndexOf("["));
    id = plan.fanOuts.get(id)?.parent ?? null;
  }
  return items;
}

/**
 * The item of a path that is one pair of brackets around a number written
 * as decide writes it (`[0]`, `[417]`: no sign, no leading zero, below
 * 2^53), from `open` to the end of the key; -1 for any other path.
 */
function decimalItem(key: string, open: number): number {
  const end = key.length - 1;
  if (key.charCodeAt(end) !== 93 || end - open < 2 || end - open > 16) return -1;
  if (key.charCodeAt(open + 1) === 48 && end - open > 2) return -1;
  let item = 0;
  for (let i = open + 1; i < end; i++) {
    const digit = key.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    item = item * 10 + digit;
  }
  return item;
}
