import { describe, expect, it } from "vitest";
import { formatDuration } from "../compiler/cost.ts";

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
