import { afterAll, describe, expect, it } from "vitest";
import { implementations, opId } from "../stdlib/runtime/index.ts";
import type { Step } from "../stdlib/runtime/implementation.ts";
import { processContext, runStep, TempDirs } from "./support/std-runtime.ts";

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

describe("std/time", () => {
  it("now records the clock in whole seconds since the epoch, and replays what it recorded", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { recorded, value } = await runStep("std/time", "now", await processContext(dirs), {});
    const after = Math.floor(Date.now() / 1000);
    expect(Number.isInteger(recorded)).toBe(true);
    expect(recorded).toBeGreaterThanOrEqual(before);
    expect(recorded).toBeLessThanOrEqual(after);
    expect(value).toBe(recorded);
    const now = implementations.get(opId("std/time", "now")) as Step;
    expect(now.value(1_700_000_000)).toBe(1_700_000_000);
    expect(now.idempotent).toBe(true);
  });
});
