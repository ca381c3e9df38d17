import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Json } from "../interpreter/ledger/entry.ts";
import { StdFailure, type Callable } from "../stdlib/runtime/implementation.ts";
import { callPure, failureOf } from "./support/std-runtime.ts";

const list = (name: string, args: Record<string, Json | Callable>) => callPure("std/list", name, args);
const double: Callable = (x) => (x as number) * 2;
const isEven: Callable = (x) => (x as number) % 2 === 0;

describe("std/list", () => {
  it("len, map, filter, count", () => {
    expect(list("len", { xs: [] })).toBe(0);
    expect(list("len", { xs: [1, "a", null] })).toBe(3);
    expect(list("map", { xs: [1, 2, 3], f: double })).toEqual([2, 4, 6]);
    expect(list("filter", { xs: [1, 2, 3, 4], keep: isEven })).toEqual([2, 4]);
    expect(list("count", { xs: [1, 2, 3, 4], test: isEven })).toBe(2);
  });

  it("all and any decide on the first item that can, and call no lambda after it", () => {
    const seen: Json[] = [];
    const positive: Callable = (x) => {
      seen.push(x);
      if (x === "boom") throw new StdFailure("Failed", "not reached");
      return (x as number) > 0;
    };
    expect(list("all", { xs: [1, -1, "boom"], test: positive })).toBe(false);
    expect(list("any", { xs: [-1, 2, "boom"], test: positive })).toBe(true);
    expect(seen).toEqual([1, -1, -1, 2]);
    expect(list("all", { xs: [], test: positive })).toBe(true);
    expect(list("any", { xs: [], test: positive })).toBe(false);
  });

  it("a lambda's failure is the call's failure", async () => {
    const failing: Callable = () => {
      throw new StdFailure("InvalidOutput", "bad item");
    };
    expect(await failureOf(() => list("map", { xs: [1], f: failing }))).toEqual({ kind: "InvalidOutput", message: "bad item" });
  });

  it("sum adds left to right and is 0 for no items", () => {
    expect(list("sum", { xs: [], f: double })).toBe(0);
    expect(list("sum", { xs: [1, 2, 3], f: double })).toBe(12);
    // The order is part of the result: (0.1 + 0.2) + 0.3 is not 0.1 + (0.2 + 0.3).
    expect(list("sum", { xs: [0.1, 0.2, 0.3], f: (x) => x })).toBe(0.1 + 0.2 + 0.3);
  });

  it("sort_by orders numbers by value and strings by code unit, not by a locale", () => {
    expect(list("sort_by", { xs: [10, 9, -1, 2.5], key: (x) => x })).toEqual([-1, 2.5, 9, 10]);
    expect(list("sort_by", { xs: ["b", "é", "a", "B", "z"], key: (x) => x })).toEqual(["B", "a", "b", "z", "é"]);
    const people = [
      { name: "ana", age: 30 },
      { name: "bo", age: 25 },
      { name: "cy", age: 30 },
      { name: "di", age: 25 },
    ];
    expect(list("sort_by", { xs: people, key: (p) => (p as { age: number }).age })).toEqual([people[1], people[3], people[0], people[2]]);
  });

  it("sort_by is stable, sorted, a permutation, and calls its key once per item", () => {
    const item = fc.record({ key: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true })), id: fc.nat() });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (xs) => {
        let calls = 0;
        const key: Callable = (x) => {
          calls++;
          return (x as { key: number }).key;
        };
        const sorted = list("sort_by", { xs, key }) as typeof xs;
        expect(calls).toBe(xs.length);
        // Each item's rank: its position in a sort by (key, input position).
        const expected = xs.map((x, i) => ({ x, i })).sort((a, b) => (a.x.key < b.x.key ? -1 : a.x.key > b.x.key ? 1 : a.i - b.i));
        expect(sorted).toEqual(expected.map((e) => e.x));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 4 }), { maxLength: 30 }), (xs) => {
        const sorted = list("sort_by", { xs, key: (x) => x }) as string[];
        for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]! <= sorted[i]!).toBe(true);
        expect([...sorted].sort()).toEqual([...xs].sort());
      }),
    );
  });

  it("take keeps the first n, none for n < 0, all when there are fewer", () => {
    expect(list("take", { xs: [1, 2, 3], n: 2 })).toEqual([1, 2]);
    expect(list("take", { xs: [1, 2, 3], n: 5 })).toEqual([1, 2, 3]);
    expect(list("take", { xs: [1, 2, 3], n: -1 })).toEqual([]);
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: -5, max: 50 }), (xs, n) => {
        const taken = list("take", { xs, n }) as number[];
        expect(taken.length).toBe(Math.min(xs.length, Math.max(0, n)));
        expect(taken).toEqual(xs.slice(0, taken.length));
      }),
    );
  });

  it("first is null for no items; reverse reverses without touching its input", () => {
    expect(list("first", { xs: [] })).toBe(null);
    expect(list("first", { xs: ["a", "b"] })).toBe("a");
    const xs = [1, 2, 3];
    expect(list("reverse", { xs })).toEqual([3, 2, 1]);
    expect(xs).toEqual([1, 2, 3]);
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), (ys) => {
        expect(list("reverse", { xs: list("reverse", { xs: ys as Json[] }) })).toEqual(ys);
      }),
    );
  });
});
