/**
 * `npm run bench:store` (`node scripts/bench.mjs store`): appending and reading ledger entries of
 * ~300 bytes through the stores, on a SQLite file and a throwaway
 * PostgreSQL cluster (fsync on), next to the same writes made directly with
 * better-sqlite3 and pg (the floor the store's checks and Kysely stand on).
 *
 * - append, in batches of 1, 100 and 1,000 entries, each batch one durable
 *   transaction: entries/s, median of 3 (a fresh database each time);
 * - read back, through `entries()`: entries/s, median of 3.
 *
 * BENCH_ENTRIES sets how many entries (100,000); BENCH_SINGLE_ENTRIES how
 * many are appended one by one (10,000: each is a durable commit, and 100,000
 * of them take minutes on PostgreSQL). BENCH_POSTGRES=URL uses that database
 * instead of a throwaway cluster (the benchmark works in schemas of its own
 * there, and drops them).
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { emptyHead } from "../../interpreter/ledger/chain.ts";
import { openPostgresStore } from "../../interpreter/store/postgres-store.ts";
import { openSqliteStore } from "../../interpreter/store/sqlite-store.ts";
import type { Store, StoredEntry } from "../../interpreter/store/store.ts";
import { startPgThrowaway } from "../../test/support/pg-throwaway.ts";
import { sealedEntries } from "../../test/support/sealed-entries.ts";

const total = Number(process.env["BENCH_ENTRIES"] ?? 100_000);
const singles = Math.min(total, Number(process.env["BENCH_SINGLE_ENTRIES"] ?? 10_000));
const batchSizes = [1, 100, 1_000];
const repetitions = 3;
const run = "bench";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const perSecond = (count: number, ms: number) => (count * 1000) / ms;
const format = (rate: number) => `${Math.round(rate).toLocaleString("en").padStart(9)} entries/s`;

// A timer name that makes each sealed entry about 300 bytes.
const entries = sealedEntries(run, emptyHead, total + 1, (seq) => `step ${seq} `.padEnd(70, "."));
const meanBytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.text), 0) / entries.length;
console.log(
  `${total.toLocaleString("en")} entries of ${Math.round(meanBytes)} bytes on average (one by one: ${singles.toLocaleString("en")}); medians of ${repetitions}`,
);

/** A database to measure: a fresh empty one for each repetition, through the store and directly. */
interface Target {
  readonly name: string;
  freshStore(): Promise<Store>;
  /** Appends entries 1..count in batches straight through the driver (no checks, no Kysely), one transaction a batch; returns ms. */
  rawAppend(count: number, batch: number): Promise<number>;
  close(): Promise<void>;
}

async function measure(target: Target): Promise<void> {
  console.log(`\n${target.name}`);
  for (const batch of batchSizes) {
    const count = batch === 1 ? singles : total;
    const rates: number[] = [];
    const reads: number[] = [];
    const raw: number[] = [];
    // Alternating with the direct writes, so that both see the same load on a machine others share.
    for (let i = 0; i < repetitions; i++) {
      raw.push(perSecond(count, await target.rawAppend(count, batch)));
      const store = await target.freshStore();
      await store.createRun(
        { id: run, workflow: "bench", source: "bench", irHash: "0".repeat(64), createdAt: 0, status: "running", updatedAt: 0 },
        entries[0]!,
      );
      const t0 = performance.now();
      for (let from = 1; from <= count; from += batch)
        await store.append(run, entries.slice(from, Math.min(from + batch, count + 1)));
      rates.push(perSecond(count, performance.now() - t0));
      if (batch === batchSizes.at(-1)) reads.push(await readBack(store, count + 1));
      await store.close();
    }
    const rate = median(rates);
    const latency = batch === 1 ? ` = ${(1000 / rate).toFixed(3)} ms per durable append` : "";
    console.log(
      `  append, batches of ${String(batch).padEnd(5)} ${format(rate)}${latency}   (direct: ${format(median(raw))}; ${(rate / median(raw)).toFixed(2)}×)`,
    );
    if (reads.length > 0) console.log(`  read back, entries()    ${format(median(reads))}`);
  }
}

async function readBack(store: Store, expected: number): Promise<number> {
  const t0 = performance.now();
  let count = 0;
  for await (const _ of store.entries(run, 0)) count++;
  const ms = performance.now() - t0;
  if (count !== expected) throw new Error(`read back ${count} entries, expected ${expected}`);
  return perSecond(count, ms);
}

const scratch = mkdtempSync(join(tmpdir(), "flow-bench-store-"));
let databases = 0;

const sqlite: Target = {
  name: "SQLite (WAL, synchronous=FULL)",
  freshStore: () => openSqliteStore(join(scratch, `store-${++databases}.db`)),
  async rawAppend(count, batch) {
    const db = new Database(join(scratch, `raw-${++databases}.db`));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec(
      "create table entries (run text not null, seq integer not null, kind text not null, text text not null, hash text not null, primary key (run, seq))",
    );
    const insert = db.prepare("insert into entries values (?, ?, ?, ?, ?)");
    const appendBatch = db.transaction((slice: readonly StoredEntry[]) => {
      for (const entry of slice) insert.run(run, entry.seq, entry.kind, entry.text, entry.hash);
    });
    const t0 = performance.now();
    for (let from = 1; from <= count; from += batch)
      appendBatch.immediate(entries.slice(from, Math.min(from + batch, count + 1)));
    const ms = performance.now() - t0;
    db.close();
    return ms;
  },
  close: async () => rmSync(scratch, { recursive: true, force: true }),
};

async function postgresTarget(url: string): Promise<Target> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  // Each repetition gets its own schema, dropped at the end; the store finds its tables through search_path.
  const schemas: string[] = [];
  const freshSchema = async () => {
    const schema = `flow_bench_${process.pid}_${++databases}`;
    await admin.query(`create schema ${schema}`);
    schemas.push(schema);
    return schema;
  };
  return {
    name: "PostgreSQL (fsync on, synchronous_commit on)",
    freshStore: async () =>
      openPostgresStore(
        `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${await freshSchema()}`)}`,
      ),
    async rawAppend(count, batch) {
      const schema = await freshSchema();
      await admin.query(
        `create table ${schema}.entries (run text not null, seq integer not null, kind text not null, text text not null, hash text not null, primary key (run, seq))`,
      );
      const t0 = performance.now();
      for (let from = 1; from <= count; from += batch) {
        const slice = entries.slice(from, Math.min(from + batch, count + 1));
        const rows = slice.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`);
        // One statement is one transaction: autocommit.
        await admin.query(
          `insert into ${schema}.entries values ${rows.join(", ")}`,
          slice.flatMap((entry) => [run, entry.seq, entry.kind, entry.text, entry.hash]),
        );
      }
      return performance.now() - t0;
    },
    async close() {
      for (const schema of schemas) await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

try {
  await measure(sqlite);
} finally {
  await sqlite.close();
}
const given = process.env["BENCH_POSTGRES"];
const cluster = given === undefined ? await startPgThrowaway() : null;
try {
  const postgres = await postgresTarget(given ?? cluster!.url);
  try {
    await measure(postgres);
  } finally {
    await postgres.close();
  }
} finally {
  await cluster?.stop();
}
