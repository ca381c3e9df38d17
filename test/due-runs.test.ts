import { describe, expect, it } from "vitest";
import { DueRuns } from "../cli/due-runs.ts";
import type { Store } from "../interpreter/store/store.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { compileText, runProgram } from "./support/run-program.ts";

const sleeper = (duration: string) => `
workflow main() -> int
  budget { wall: 1d }
{
  sleep ${duration}
  return 1
}`;

/** A store that counts the ledgers read in full: what the cache of due times is there to save. */
function counted(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key === "entries" && typeof value === "function") {
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, reads: () => reads };
}

describe("due runs", () => {
  it("finds parked runs whose earliest timer has come, folding a ledger again only when its head moved", async () => {
    const memory = openMemoryStore();
    const soon = await runProgram(memory, compileText(sleeper("1h")), "main", {}, 4, { parkAfterMs: 0 });
    const later = await runProgram(memory, compileText(sleeper("2h")), "main", {}, 4, { parkAfterMs: 0 });
    expect([soon.outcome, later.outcome]).toEqual(["parked", "parked"]);
    const at = soon.driver.core.state.at;
    const { store, reads } = counted(memory);
    const due = new DueRuns(store);

    expect(await due.at(at)).toEqual([]);
    const first = reads();
    expect(first).toBeGreaterThan(0);
    expect(await due.at(at + 3_600_000)).toEqual([soon.driver.run]);
    expect(await due.at(at + 2 * 3_600_000 + 1_000)).toEqual(expect.arrayContaining([soon.driver.run, later.driver.run]));
    // Three passes, the ledgers read once: nothing was recorded in between.
    expect(reads()).toBe(first);
  });
});
