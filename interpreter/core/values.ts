import type { Json } from "../ledger/entry.ts";

/**
 * Flow values at run time are JSON (records are objects, lists arrays,
 * durations, tokens and dollars numbers in their base unit). Equality and
 * ordering are defined here once, for `==`, `<` and the std functions.
 */

/** Structural equality of two JSON values: numbers by value, records by their fields whatever their order. */
export function jsonEquals(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i] as Json, b[i] as Json)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !jsonEquals(a[key] as Json, b[key] as Json)) return false;
  }
  return true;
}

/** How flow prints a value into text (`${n as string}`): numbers as ECMAScript prints them, on every machine alike. */
export function textOf(value: Json): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** A short description of a value's shape for messages: `a string`, `a list of 3`, `null`. */
export function describeValue(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  switch (typeof value) {
    case "string":
      return value.length <= 40 ? `the string ${JSON.stringify(value)}` : "a string";
    case "number":
      return `the number ${value}`;
    case "boolean":
      return `\`${value}\``;
    default:
      return "a record";
  }
}
