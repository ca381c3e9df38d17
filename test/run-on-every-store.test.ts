import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayLedger } from "../interpreter/replay.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { openPostgresStore } from "../interpreter/store/postgres-store.ts";
import { openSqliteStore } from "../interpreter/store/sqlite-store.ts";
import type { Store } from "../interpreter/store/store.ts";
import { type PgThrowaway, startPgThrowaway } from "./support/pg-throwaway.ts";
import { compileText, runProgram } from "./support/run-program.ts";

/**
 * One workflow run on every store: the same result, a ledger read back from
 * the store byte for byte as it was recorded, and a replay that is identical.
 */
const program = compileText(`
import { sh } from "std/sandbox"
node square(n: int) -> int
  effects { proc }
  budget  { compute: 10s }
  retry   1
{
  let out = sh("echo \${(n * n) as string}")
  return out.stdout as int
}
workflow squares(ns: List<int, max 20>) -> List<int>
  budget { compute: 1h }
  grants { proc }
{
  return for n in ns concurrency 4 { square(n) }
}`);

let cluster: PgThrowaway | undefined;
beforeAll(async () => {
  cluster = await startPgThrowaway();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const stores: [string, () => Promise<Store>][] = [
  ["memory", async () => openMemoryStore()],
  ["sqlite", () => openSqliteStore(join(mkdtempSync(join(tmpdir(), "flow-store-")), "flow.db"))],
  ["postgres", () => openPostgresStore((cluster as PgThrowaway).url)],
];

describe.each(stores)("a run on the %s store", (_name, open) => {
  it("completes, reads back byte for byte, and replays identically", async () => {
    const store = await open();
    try {
      const ns = Array.from({ length: 12 }, (_, i) => i + 1);
      const { outcome, driver, entries } = await runProgram(store, program, "squares", { ns });
      expect(outcome).toBe("completed");
      expect(driver.core.state.result).toEqual(ns.map((n) => n * n));
      const stored: string[] = [];
      for await (const entry of store.entries(driver.run, 0)) stored.push(entry.text);
      expect(stored).toEqual(entries.map((s) => s.text));
      expect((await store.getRun(driver.run))?.status).toBe("completed");
      expect(await replayLedger(stored)).toMatchObject({ kind: "identical", entries: stored.length });
    } finally {
      await store.close();
    }
  });
});
