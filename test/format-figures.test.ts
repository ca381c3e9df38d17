import { describe, expect, it } from "vitest";
import { formatDuration, formatValue } from "../compiler/cost.ts";
import { abortReason, abortText, amount } from "../interpreter/core/budget.ts";
import type { BudgetState } from "../interpreter/core/state.ts";

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
