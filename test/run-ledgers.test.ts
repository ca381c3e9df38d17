import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLedger } from "../cli/commands/receipt.ts";
import { type ChainHead, seal } from "../interpreter/ledger/chain.ts";
import { receiptOf } from "../interpreter/receipts/receipt.ts";
import { openSqliteStore } from "../interpreter/store/sqlite-store.ts";
import type { Store, StoredEntry } from "../interpreter/store/store.ts";
import { ApiError } from "../playground/server/api-error.ts";
import { RunLedgers } from "../playground/server/run-ledgers.ts";
import { compileText, runProgram } from "./support/run-program.ts";

/**
 * `flow serve`'s detail routes read a run's ledger through RunLedgers:
 * checked and parsed once, then only what was appended since. Held here to
 * what reading the whole ledger gives (readLedger, receiptOf), on a real
 * SQLite store, counting the rows each request reads.
 */
describe("RunLedgers", () => {
  const program = `
node double(i: int) -> int { return i * 2 }

workflow main(ns: List<int, max 10>) -> List<int>
  budget { compute: 1m }
{
  return for n in ns { double(n) }
}`;

  /** The store, with the rows its `entries` yielded counted. */
  const counted = (store: Store): { readonly store: Store; rows: number } => {
    const counter = { rows: 0, store };
    counter.store = new Proxy(store, {
      get(target, key) {
        if (key !== "entries") return Reflect.get(target, key);
        return async function* (...args: Parameters<Store["entries"]>) {
          for await (const entry of target.entries(...args)) {
            counter.rows++;
            yield entry;
          }
        };
      },
    });
    return counter;
  };

  const recorded = async () => {
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "flow-ledgers-")), "flow.db"));
    const { driver, outcome } = await runProgram(store, compileText(program), "main", { ns: [1, 2, 3, 4, 5] });
    expect(outcome).toBe("completed");
    return { store, run: driver.run };
  };

  /** Entries a run may have after it ended (a timer set), sealed after `head` as the interpreter seals them. */
  const timersSet = (run: string, head: ChainHead, count: number): StoredEntry[] => {
    const entries: StoredEntry[] = [];
    for (let i = 0; i < count; i++) {
      const { entry, text } = seal(run, head, { kind: "timer.set", at: 1_790_000_000_000 + i, data: { timer: `t${i}`, until: 1_790_000_060_000 } });
      entries.push({ seq: entry.seq, kind: entry.kind, text, hash: entry.hash });
      head = { seq: entry.seq, hash: entry.hash };
    }
    return entries;
  };

  const whole = async (store: Store, run: string) => {
    const read = await readLedger(store, run);
    if ("broken" in read) throw new Error(read.broken);
    return read.entries;
  };

  it("reads a ledger whole once, then only what was appended since, with the same entries and receipt as reading it whole", async () => {
    const { store, run } = await recorded();
    const count = counted(store);
    const ledgers = new RunLedgers(count.store);
    const all = await whole(store, run);

    expect(await ledgers.entries(run)).toEqual(all);
    expect(count.rows).toBe(all.length);
    const receipt = await ledgers.receipt(run);
    expect(receipt).toEqual(receiptOf(all));
    expect(count.rows).toBe(all.length);

    // Nothing appended: nothing read, and the receipt is the one made before.
    expect(await ledgers.entries(run)).toEqual(all);
    expect(await ledgers.receipt(run)).toBe(receipt);
    expect(count.rows).toBe(all.length);

    // Entries appended: only they are read, and the receipt is made again at the new head.
    const last = all.at(-1)!;
    await store.append(run, timersSet(run, { seq: last.seq, hash: last.hash }, 3));
    const after = await whole(store, run);
    expect(after.length).toBe(all.length + 3);
    expect(await ledgers.entries(run)).toEqual(after);
    expect(count.rows).toBe(all.length + 3);
    const moved = await ledgers.receipt(run);
    expect(moved).toEqual(receiptOf(after));
    expect(moved.head.seq).toBe(last.seq + 3);
    await store.close();
  });

  it("refuses an appended entry that does not link to the one before, every time it is asked, as a 409", async () => {
    const { store, run } = await recorded();
    const ledgers = new RunLedgers(store);
    const all = await ledgers.entries(run);
    const last = all.at(-1)!;
    // Sealed after another head than the ledger's: its prev is not the last entry's hash.
    const { entry, text } = seal(run, { seq: last.seq, hash: "f".repeat(64) }, { kind: "timer.fired", at: last.at + 1, data: { timer: "t" } });
    const unlinked: StoredEntry = { seq: entry.seq, kind: entry.kind, text, hash: entry.hash };
    await store.append(run, [unlinked]);
    for (let i = 0; i < 2; i++) {
      const refused = await ledgers.entries(run).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).status).toBe(409);
      expect((refused as ApiError).message).toBe(`run ${run}: entry ${entry.seq} does not link to the entry before it (an entry was dropped, inserted or moved)`);
    }
    await store.close();
  });

  it("keeps the runs asked about last, and reads one it let go whole again", async () => {
    const first = await recorded();
    const second = await recorded();
    // Two runs in two stores, behind one counting store that routes by run.
    const byRun = new Map([
      [first.run, first.store],
      [second.run, second.store],
    ]);
    const routed = new Proxy(first.store, {
      get(target, key) {
        if (key === "entries") return (run: string, from: number, to?: number) => (byRun.get(run) as Store).entries(run, from, to);
        return Reflect.get(target, key);
      },
    });
    const count = counted(routed);
    const ledgers = new RunLedgers(count.store, 1);
    const one = (await ledgers.entries(first.run)).length;
    const two = (await ledgers.entries(second.run)).length;
    expect(count.rows).toBe(one + two);
    // The first was let go for the second: read whole again; the second, asked about last, is not.
    await ledgers.entries(first.run);
    expect(count.rows).toBe(2 * one + two);
    await ledgers.entries(first.run);
    expect(count.rows).toBe(2 * one + two);
    await first.store.close();
    await second.store.close();
  });
});
