import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration, formatValue } from "../compiler/cost.ts";
import { abortReason, abortText, amount } from "../interpreter/core/budget.ts";
import type { BudgetState } from "../interpreter/core/state.ts";
import { numericMeaning } from "../language/quantities.ts";

describe("durations as the cost tables and diagnostics write them", () => {
  it("keeps the two largest units, and under a minute the part of a second", () => {
    const cases: [number, string][] = [
      [0, "0s"],
      [250, "250ms"],
      [1_000, "1s"],
      [1_500, "1.5s"],
      [3_500, "3.5s"],
      [59_999, "59.999s"],
      [60_000, "1m"],
      [90_000, "1m30s"],
      [5_400_000, "1h30m"],
      [(1600 * 60 + 5) * 60_000, "1600h5m"],
    ];
    for (const [ms, text] of cases) expect(formatDuration(ms), String(ms)).toBe(text);
  });

  it("can be written back in a program: each reads as the duration it shows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 11 }), (ms) => {
        const shown = formatDuration(ms);
        const read = numericMeaning(shown);
        expect(read, shown).toMatchObject({ kind: "quantity", dimension: "duration" });
        const value = (read as { value: number }).value;
        // What is shown keeps the two largest units: reading it back gives what is shown, at most the dropped part less.
        expect(formatDuration(value)).toBe(shown);
        expect(value).toBeLessThanOrEqual(ms + 0.5);
      }),
    );
    expect(numericMeaning("1h30m")).toEqual({ kind: "quantity", dimension: "duration", value: 5_400_000 });
    expect(numericMeaning("1d2h3m4s5ms")).toEqual({ kind: "quantity", dimension: "duration", value: 93_784_005 });
    expect(numericMeaning("30m1h")).toMatchObject({ kind: "error", code: "FL0104", label: "units out of order" });
    expect(numericMeaning("1h30k")).toMatchObject({ kind: "error", code: "FL0104", message: "`h30k` is not a unit" });
  });
});

describe("dollars, in the cost tables, the run's spend and the playground's simulation alike", () => {
  it("are shown to the cent, and under a cent to the hundredth of one, so a few model calls do not look free", () => {
    const cases: [number, string][] = [
      [0, "$0.00"],
      [0.0012, "$0.0012"],
      [0.00999, "$0.0100"],
      [0.01, "$0.01"],
      [0.5, "$0.50"],
      [2, "$2.00"],
      [1234.567, "$1234.57"],
    ];
    for (const [usd, text] of cases) {
      expect(formatValue(usd, "usd"), String(usd)).toBe(text);
      expect(amount("usd", usd), String(usd)).toBe(text);
    }
  });
});

describe("the run's spend, as flow status, flow run and the inspector show it", () => {
  it("writes figures as budgets are written; the reason run.aborted records keeps the wording ledgers hold", () => {
    expect(amount("tokens", 1280)).toBe("1.28k tokens");
    expect(amount("tokens", 1_000_000)).toBe("1M tokens");
    expect(amount("compute", 83_400)).toBe("1m23s");
    expect(amount("wall", 3_600_000)).toBe("1h");
    expect(amount("wall", 512)).toBe("512ms");
    const none = { tokens: 0, usd: 0, compute: 0, wall: 0 };
    const budget: BudgetState = { spent: { ...none, compute: 3_612 }, ceilings: { tokens: null, usd: null, compute: 3_500, wall: null }, reserved: none, stopped: true, clock: 0 };
    expect(abortText(budget)).toBe("a dispatch would exceed the run's budget (compute: 3.612s spent of 3.5s)");
    expect(abortReason(budget)).toBe("a dispatch would exceed the run's budget (compute: 3.6 s spent of 3.5 s)");
  });
});
