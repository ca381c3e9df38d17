import type { Json } from "../../interpreter/ledger/entry.ts";
import * as arg from "./arguments.ts";
import { pure } from "./define.ts";
import type { Implementation } from "./implementation.ts";

/**
 * std/list (stdlib/list.flow). A lambda is called in list order, once per
 * item it is needed for: `all`, `any` stop at the first item that decides,
 * so a lambda that fails on a later item does not fail them.
 */
export const listImplementations: Readonly<Record<string, Implementation>> = {
  len: pure((args) => arg.list(args, "xs").length),
  map: pure((args) => {
    const f = arg.callable(args, "f");
    return arg.list(args, "xs").map((x) => f(x));
  }),
  filter: pure((args) => {
    const keep = arg.callable(args, "keep");
    return arg.list(args, "xs").filter((x) => keep(x) === true);
  }),
  all: pure((args) => {
    const test = arg.callable(args, "test");
    return arg.list(args, "xs").every((x) => test(x) === true);
  }),
  any: pure((args) => {
    const test = arg.callable(args, "test");
    return arg.list(args, "xs").some((x) => test(x) === true);
  }),
  count: pure((args) => {
    const test = arg.callable(args, "test");
    return arg.list(args, "xs").filter((x) => test(x) === true).length;
  }),
  // Added left to right: floating-point addition is not associative, so the order is part of the result.
  sum: pure((args) => {
    const f = arg.callable(args, "f");
    let total = 0;
    arg.list(args, "xs").forEach((x, i) => (total += numberResult(f(x), `the value of \`f\` for item ${i}`)));
    return total;
  }),
  sort_by: pure((args) => {
    const key = arg.callable(args, "key");
    const keyed = arg.list(args, "xs").map((item, index) => ({ item, index, key: orderedKey(key(item), index) }));
    return keyed.sort((a, b) => compareKeys(a.key, b.key) || a.index - b.index).map((k) => k.item);
  }),
  take: pure((args) => arg.list(args, "xs").slice(0, Math.max(0, arg.int(args, "n")))),
  first: pure((args) => arg.list(args, "xs")[0] ?? null),
  reverse: pure((args) => [...arg.list(args, "xs")].reverse()),
};

function numberResult(value: Json, what: string): number {
  if (typeof value !== "number") throw new Error(`internal: ${what} should be a number, and is ${JSON.stringify(value)}`);
  return value;
}

function orderedKey(value: Json, index: number): number | string {
  if (typeof value === "number" || typeof value === "string") return value;
  throw new Error(`internal: the sort key of item ${index} should be a number or a string, and is ${JSON.stringify(value)}`);
}

/**
 * The order of `sort_by`'s keys (`K: ordered` is a number or text type,
 * one of them for all items): numbers by value; strings by UTF-16 code
 * unit, which is not a locale's alphabetical order ("B" < "a", "é" after
 * "z") but is the same on every machine. Ties keep input order.
 */
function compareKeys(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
