import type { Json } from "../../interpreter/ledger/entry.ts";
import type { Args, Callable, Value } from "./implementation.ts";

/**
 * Reading one argument (or one field of a recorded form) as the type its
 * declaration gives it. The IR is type-checked and verified before it
 * runs, so a value of another type is a bug of the interpreter (or a
 * ledger written by another version), never the program's failure: it is
 * an internal error, not a `StdFailure`.
 */

type JsonRecord = { readonly [key: string]: Json };

function read<T extends Value>(args: Args, name: string, expected: string, is: (value: Value | undefined) => value is T): T {
  const value = args[name];
  if (!is(value)) throw wrongType(name, expected, value);
  return value;
}

export const string = (args: Args, name: string): string => read(args, name, "a string", (v) => typeof v === "string");

export const number = (args: Args, name: string): number => read(args, name, "a number", (v) => typeof v === "number");

export const int = (args: Args, name: string): number => read(args, name, "an integer", (v): v is number => Number.isInteger(v));

/** An optional parameter left out is null, or absent: the IR binds only the arguments a call writes. */
export const optionalNumber = (args: Args, name: string): number | null => ((args[name] ?? null) === null ? null : number(args, name));

export const list = (args: Args, name: string): Json[] => read(args, name, "a list", (v) => Array.isArray(v));

export const strings = (args: Args, name: string): string[] =>
  read(args, name, "a list of strings", (v): v is string[] => Array.isArray(v) && v.every((item) => typeof item === "string"));

export const callable = (args: Args, name: string): Callable => read(args, name, "a function", (v) => typeof v === "function");

export const json = (args: Args, name: string): Json => read(args, name, "a JSON value", (v): v is Json => v !== undefined && typeof v !== "function");

/** A recorded form (or a list item) read as a record, to read its fields with the functions above. */
export function recordOf(value: Json, what: string): JsonRecord {
  if (!isRecord(value)) throw wrongType(what, "a record", value);
  return value;
}

function isRecord(value: Value | undefined): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function wrongType(name: string, expected: string, value: unknown): Error {
  const found = value === undefined ? "nothing" : typeof value === "function" ? "a function" : JSON.stringify(value).slice(0, 80);
  return new Error(`internal: \`${name}\` should be ${expected}, and is ${found}`);
}
