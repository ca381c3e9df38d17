import Database from "better-sqlite3";
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ChainHead, emptyHead } from "../interpreter/ledger/chain.ts";
import { openMemoryStore } from "../interpreter/store/memory-store.ts";
import { openStore } from "../interpreter/store/open-store.ts";
import { openPostgresStore } from "../interpreter/store/postgres-store.ts";
import { openSqliteStore } from "../interpreter/store/sqlite-store.ts";
import { schemaVersion } from "../interpreter/store/schema.ts";
import { RunExists, UnknownRun } from "../interpreter/store/store-errors.ts";
import { type RunRecord, SeqConflict, StaleLease, type Store, type StoredEntry } from "../interpreter/store/store.ts";
import { type PgThrowaway, startPgThrowaway } from "./support/pg-throwaway.ts";
import { sealedEntries } from "./support/sealed-entries.ts";

/**
 * One suite, every backend: what a store promises (interpreter/store/store.ts)
 * is checked here once and run against memory, a SQLite file and a
 * throwaway PostgreSQL cluster.
 */

/** A new, empty database for one test. */
interface FreshDatabase {
  /** A store over it; each call is another instance (another connection or pool), as another process would have. */
  open(): Promise<Store>;
  /** How another process opens it (`openStore`), or null when it lives in this process only. */
  readonly spec: string | null;
}

interface Backend {
  readonly name: string;
  /** Whether what it holds outlives the process (and `spec` is set). */
  readonly durable: boolean;
  fresh(): Promise<FreshDatabase>;
}

// store-child.ts, bundled once: under tsx's loader a child takes ~2 s to load Kysely; bundled, a few hundred ms.
// Beside node_modules' packages, which the bundle imports.
const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const childScript = join(repoRoot, "node_modules", ".cache", "flow-tests", `store-child-${process.pid}.mjs`);
beforeAll(async () => {
  await build({
    entryPoints: [fileURLToPath(new URL("./support/store-child.ts", import.meta.url))],
    outfile: childScript,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
});
afterAll(() => rmSync(childScript, { force: true }));

// More than two of entries()' pages (5,000 entries); sealed once for every backend.
const pagingLedger = sealedEntries("r1", emptyHead, 12_001);

function conformance(backend: Backend): void {
  describe(`${backend.name} store`, () => {
    const opened: Store[] = [];
    let database: FreshDatabase;
    const open = async () => {
      const store = await database.open();
      opened.push(store);
      return store;
    };
    const newStore = async () => {
      database = await backend.fresh();
      return open();
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it("opens a new database from two places at once, creating its tables once", async () => {
      database = await backend.fresh();
      const [one, two] = await Promise.all([open(), open()]);
      await createRun(one!, "r1");
      expect(await two!.getRun("r1")).toEqual(runRecord("r1"));
    });

    describe("runs", () => {
      it("creates a run with its first entry and gets it back", async () => {
        const store = await newStore();
        const [first] = sealedEntries("r1", emptyHead, 1);
        await store.createRun(runRecord("r1"), first!);
        expect(await store.getRun("r1")).toEqual(runRecord("r1"));
        expect(await store.head("r1")).toEqual({ seq: 0, hash: first!.hash });
        expect(await store.getRun("nope")).toBeNull();
        expect(await store.head("nope")).toBeNull();
        const [notFirst] = sealedEntries("r2", { seq: 0, hash: "0".repeat(64) }, 1);
        await expect(store.createRun(runRecord("r2"), notFirst!)).rejects.toThrow(RangeError);
        expect(await store.getRun("r2")).toBeNull();
      });

      it("refuses to create a run whose id exists, and keeps the first one", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        const [other] = sealedEntries("r1", emptyHead, 1, () => "another first entry");
        await expect(store.createRun({ ...runRecord("r1"), workflow: "other" }, other!)).rejects.toThrow(RunExists);
        expect((await store.getRun("r1"))?.workflow).toBe("main");
        expect(await readAll(store, "r1")).toEqual(sealedEntries("r1", emptyHead, 1));
      });

      it("lists runs newest first, ties by id, up to a limit", async () => {
        const store = await newStore();
        for (const [id, createdAt] of [
          ["b", 2000],
          ["a", 1000],
          ["d", 2000],
          ["c", 3000],
          ["a2", 2000],
          ["B2", 2000],
        ] as const) {
          await createRun(store, id, { createdAt });
        }
        const ids = async (limit?: number) =>
          (await store.listRuns(limit === undefined ? undefined : { limit })).map((run) => run.id);
        // By bytes, "B2" before "a2", where a locale's collation (PostgreSQL's database below) puts it after.
        expect(await ids()).toEqual(["c", "B2", "a2", "b", "d", "a"]);
        expect(await ids(2)).toEqual(["c", "B2"]);
        expect(await ids(0)).toEqual([]);
      });

      it("updates a run's status and time, and refuses an unknown run", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        await store.setRunStatus("r1", "parked", 5000);
        await store.setRunStatus("r1", "completed", 6000);
        expect(await store.getRun("r1")).toEqual({ ...runRecord("r1"), status: "completed", updatedAt: 6000 });
        await expect(store.setRunStatus("nope", "failed", 1)).rejects.toThrow(UnknownRun);
      });
    });

    describe("entries", () => {
      it("keeps every entry's text byte for byte: non-ASCII, and ~1 MB", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        const texts = [
          "héllo wörld",
          "日本語のテキスト",
          'emoji 🎉👩‍💻 and \u2028 and \u0000 and "quotes" \\',
          "x".repeat(1_000_000),
          "é".repeat(500_000),
        ];
        const batch = sealedEntries("r1", headOf(await readAll(store, "r1")), texts.length, (seq) => texts[seq - 1]!);
        await store.append("r1", batch);
        const stored = await readAll(store, "r1");
        expect(stored.slice(1)).toEqual(batch);
        expect(stored[4]!.text.length).toBeGreaterThan(1_000_000);
        expect(await store.head("r1")).toEqual({ seq: 5, hash: batch[4]!.hash });
      });

      it("appends batches that run on from the head, and refuses a wrong expected seq (SeqConflict)", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        const batch = sealedEntries("r1", await head(store, "r1"), 3);
        await store.append("r1", batch);
        await store.append("r1", []);
        const next = sealedEntries("r1", await head(store, "r1"), 2);
        for (const wrong of [sealedEntries("r1", emptyHead, 2), sealedEntries("r1", { seq: 4, hash: "0".repeat(64) }, 1)]) {
          const refused = await store.append("r1", wrong).catch((error: unknown) => error);
          expect(refused).toBeInstanceOf(SeqConflict);
          expect(refused).toMatchObject({ run: "r1", expected: wrong[0]!.seq, actual: 4 });
        }
        await store.append("r1", next);
        expect((await readAll(store, "r1")).map((entry) => entry.seq)).toEqual([0, 1, 2, 3, 4, 5]);
        await expect(store.append("nope", sealedEntries("nope", emptyHead, 1))).rejects.toThrow(UnknownRun);
      });

      it("refuses a batch whose seqs do not run on, and writes none of it", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        const batch = sealedEntries("r1", await head(store, "r1"), 3);
        await expect(store.append("r1", [batch[0]!, batch[2]!])).rejects.toThrow(RangeError);
        expect(await readAll(store, "r1")).toHaveLength(1);
      });

      it("lets one of two racing appenders win and refuses the other, whose batch leaves nothing", async () => {
        const store = await newStore();
        const other = await open();
        await createRun(store, "r1");
        for (let round = 0; round < 10; round++) {
          const from = await head(store, "r1");
          // Odd rounds race a batch of more than one INSERT (1,000 entries each) against a single entry.
          const mine = sealedEntries("r1", from, round % 2 === 0 ? 1 : 1_200, (seq) => `mine ${seq}`);
          const theirs = sealedEntries("r1", from, 1, (seq) => `theirs ${seq}`);
          const results = await Promise.allSettled([store.append("r1", mine), other.append("r1", theirs)]);
          const winners = results.filter((result) => result.status === "fulfilled");
          const losers = results.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
          expect(winners).toHaveLength(1);
          expect(losers).toHaveLength(1);
          expect(losers[0]).toBeInstanceOf(SeqConflict);
          const written = results[0]!.status === "fulfilled" ? mine : theirs;
          expect(await readFrom(other, "r1", from.seq + 1)).toEqual(written);
        }
      });

      it("reads entries a page at a time, in seq order, between from and to", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        const total = 12_001;
        while ((await head(store, "r1")).seq < total - 1)
          await store.append("r1", sealedEntries("r1", await head(store, "r1"), 1_000));
        const seqs = async (from: number, to?: number) => {
          const found: number[] = [];
          for await (const entry of store.entries("r1", from, to)) found.push(entry.seq);
          return found;
        };
        expect(await seqs(0)).toEqual(range(0, total - 1));
        expect(await seqs(4_998, 5_003)).toEqual(range(4_998, 5_003));
        expect(await seqs(11_000)).toEqual(range(11_000, total - 1));
        expect(await seqs(100, 100)).toEqual([100]);
        expect(await seqs(total)).toEqual([]);
        expect(await seqs(10, 9)).toEqual([]);
        expect(await seqs(0, 20_000)).toHaveLength(total);
        expect(await seqs(0)).toHaveLength(total);
        expect(await readAll(store, "r1")).toEqual(pagingLedger);
        expect(await readFrom(store, "nope", 0)).toEqual([]);
      });
    });

    describe("snapshots", () => {
      it("keeps the snapshot with the highest seq, the last saved at a seq winning", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        expect(await store.latestSnapshot("r1")).toBeNull();
        await store.saveSnapshot("r1", { seq: 10, text: '{"state":10}' });
        await store.saveSnapshot("r1", { seq: 20, text: '{"state":"ünïcode 20"}' });
        await store.saveSnapshot("r1", { seq: 15, text: '{"state":15}' });
        expect(await store.latestSnapshot("r1")).toEqual({ seq: 20, text: '{"state":"ünïcode 20"}' });
        await store.saveSnapshot("r1", { seq: 20, text: '{"state":"again"}' });
        expect(await store.latestSnapshot("r1")).toEqual({ seq: 20, text: '{"state":"again"}' });
        expect(await store.latestSnapshot("nope")).toBeNull();
        await expect(store.saveSnapshot("nope", { seq: 1, text: "{}" })).rejects.toThrow(UnknownRun);
      });
    });

    describe("control requests", () => {
      it("keeps one request a run, a cancel standing over a pause and never the other way round, until it is cleared", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        await createRun(store, "r2");
        expect(await store.controlRequest("r1")).toBeNull();
        await store.requestControl("r1", { kind: "pause", by: "ann", at: 10 });
        await store.requestControl("r1", { kind: "pause", by: "bob", at: 11 });
        expect(await store.controlRequest("r1")).toEqual({ kind: "pause", by: "ann", at: 10 });
        await store.requestControl("r1", { kind: "cancel", by: "bob", at: 12 });
        await store.requestControl("r1", { kind: "pause", by: "cid", at: 13 });
        expect(await store.controlRequest("r1")).toEqual({ kind: "cancel", by: "bob", at: 12 });
        expect(await store.controlRequest("r2")).toBeNull();
        await store.clearControl("r1");
        expect(await store.controlRequest("r1")).toBeNull();
        await expect(store.requestControl("nope", { kind: "cancel", by: "ann", at: 1 })).rejects.toThrow(UnknownRun);
      });
    });

    describe("leases", () => {
      it("grants a free lease, keeps it for its owner, and refuses it to another while held", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        expect(await store.lease("r1")).toBeNull();
        expect(await store.acquireLease("r1", "w1", 1000, 100)).toEqual({
          granted: { run: "r1", owner: "w1", epoch: 1, expiresAt: 1100 },
        });
        expect(await store.acquireLease("r1", "w1", 1050, 100)).toEqual({
          granted: { run: "r1", owner: "w1", epoch: 1, expiresAt: 1150 },
        });
        expect(await store.acquireLease("r1", "w2", 1100, 100)).toEqual({
          heldBy: { run: "r1", owner: "w1", epoch: 1, expiresAt: 1150 },
        });
        expect(await store.lease("r1")).toEqual({ run: "r1", owner: "w1", epoch: 1, expiresAt: 1150 });
      });

      it("passes an expired lease to another owner with the next epoch, and fences the old one", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        await store.acquireLease("r1", "w1", 1000, 100);
        await store.append("r1", sealedEntries("r1", await head(store, "r1"), 1), 1);
        expect(await store.acquireLease("r1", "w2", 1100, 100)).toEqual({
          granted: { run: "r1", owner: "w2", epoch: 2, expiresAt: 1200 },
        });
        const late = sealedEntries("r1", await head(store, "r1"), 1);
        await expect(store.append("r1", late, 1)).rejects.toThrow(StaleLease);
        await expect(store.renewLease("r1", 1, 1150, 100)).rejects.toThrow(StaleLease);
        expect(await readAll(store, "r1")).toHaveLength(2);
        await store.append("r1", late, 2);
        await store.renewLease("r1", 2, 1150, 500);
        expect(await store.acquireLease("r1", "w3", 1600, 100)).toEqual({
          heldBy: { run: "r1", owner: "w2", epoch: 2, expiresAt: 1650 },
        });
        await expect(store.append("r1", sealedEntries("r1", await head(store, "r1"), 1), 7)).rejects.toThrow(StaleLease);
      });

      it("keeps an epoch current until another owner is granted the lease, expired or released", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        await store.acquireLease("r1", "w1", 1000, 100);
        await store.append("r1", sealedEntries("r1", await head(store, "r1"), 1), 1);
        await store.renewLease("r1", 1, 5000, 100);
        await store.releaseLease("r1", 1);
        await store.append("r1", sealedEntries("r1", await head(store, "r1"), 1), 1);
        await store.renewLease("r1", 1, 6000, 100);
        expect(await store.acquireLease("r1", "w2", 6050, 100)).toMatchObject({
          heldBy: { owner: "w1", epoch: 1, expiresAt: 6100 },
        });
        expect(await readAll(store, "r1")).toHaveLength(3);
      });

      it("checks an append's epoch before its run and its seq", async () => {
        const store = await newStore();
        await expect(store.append("nope", sealedEntries("nope", { seq: 5, hash: "0".repeat(64) }, 1), 1)).rejects.toThrow(
          StaleLease,
        );
        await store.acquireLease("nope", "w1", 1000, 100);
        await expect(store.append("nope", sealedEntries("nope", { seq: 5, hash: "0".repeat(64) }, 1), 1)).rejects.toThrow(
          UnknownRun,
        );
      });

      it("refuses appends under an epoch when the run was never leased", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        await expect(store.append("r1", sealedEntries("r1", await head(store, "r1"), 1), 1)).rejects.toThrow(StaleLease);
        await expect(store.renewLease("r1", 1, 0, 100)).rejects.toThrow(StaleLease);
      });

      it("asks steal() about a live holder and takes the lease over when it says the holder is gone", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        await store.acquireLease("r1", "w1", 1000, 10_000);
        const asked: unknown[] = [];
        const refuse = await store.acquireLease("r1", "w2", 1001, 100, (holder) => (asked.push(holder), false));
        expect(refuse).toEqual({ heldBy: { run: "r1", owner: "w1", epoch: 1, expiresAt: 11_000 } });
        expect(asked).toEqual([{ run: "r1", owner: "w1", epoch: 1, expiresAt: 11_000 }]);
        expect(await store.acquireLease("r1", "w2", 1002, 100, () => true)).toEqual({
          granted: { run: "r1", owner: "w2", epoch: 2, expiresAt: 1102 },
        });
        expect(await store.acquireLease("r1", "w1", 1003, 100, () => true)).toEqual({
          granted: { run: "r1", owner: "w1", epoch: 3, expiresAt: 1103 },
        });
      });

      it("frees a released lease for the next owner at once, and never grants an epoch twice", async () => {
        const store = await newStore();
        await createRun(store, "r1");
        await store.acquireLease("r1", "w1", 1000, 10_000);
        await store.releaseLease("r1", 7);
        expect(await store.acquireLease("r1", "w2", 1001, 100)).toMatchObject({ heldBy: { owner: "w1", epoch: 1 } });
        await store.releaseLease("r1", 1);
        expect(await store.acquireLease("r1", "w2", 1002, 100)).toEqual({
          granted: { run: "r1", owner: "w2", epoch: 2, expiresAt: 1102 },
        });
        await store.releaseLease("r1", 2);
        expect(await store.acquireLease("r1", "w1", 1003, 100)).toEqual({
          granted: { run: "r1", owner: "w1", epoch: 3, expiresAt: 1103 },
        });
        // Leases are the store's, not the runs': a run other processes only wait for may be leased before it exists here.
        expect(await store.acquireLease("elsewhere", "w1", 1000, 100)).toMatchObject({ granted: { epoch: 1 } });
      });
    });

    // The memory store promises no durability: these are not skipped for it, they do not apply.
    if (backend.durable)
      describe("durability", () => {
        it("keeps everything across close and open", async () => {
          const store = await newStore();
          await createRun(store, "r1");
          await createRun(store, "r2", { createdAt: 2000 });
          await store.append(
            "r1",
            sealedEntries("r1", await head(store, "r1"), 2_000, (seq) => (seq === 7 ? "ß".repeat(300_000) : `t${seq}`)),
          );
          await store.saveSnapshot("r1", { seq: 1_500, text: '{"folded":1500}' });
          await store.setRunStatus("r2", "failed", 3000);
          await store.acquireLease("r1", "w1", 1000, 100);
          const before = { runs: await store.listRuns(), entries: await readAll(store, "r1") };
          await opened.pop()!.close();
          const again = await open();
          expect(await again.listRuns()).toEqual(before.runs);
          expect(await readAll(again, "r1")).toEqual(before.entries);
          expect(await again.latestSnapshot("r1")).toEqual({ seq: 1_500, text: '{"folded":1500}' });
          expect(await again.acquireLease("r1", "w2", 1050, 100)).toMatchObject({ heldBy: { owner: "w1", epoch: 1 } });
        });

        it("keeps entries appended by a process killed (SIGKILL) right after append resolved", async () => {
          const store = await newStore();
          await createRun(store, "r1");
          const expected = sealedEntries("r1", await head(store, "r1"), 500);
          const child = spawnChild(["append-then-wait", database.spec!, "r1", "500"]);
          await child.line((line) => line === "appended");
          await child.kill();
          const reopened = await open();
          expect((await readAll(reopened, "r1")).slice(1)).toEqual(expected);
        });

        it("takes appends from two processes in turns: every entry once, in one chain", async () => {
          const store = await newStore();
          await createRun(store, "r1");
          const children = [0, 1].map(() => spawnChild(["race", database.spec!, "r1", "100"]));
          const reports = await Promise.all(children.map((child) => child.line((line) => line.startsWith("conflicts "))));
          await Promise.all(children.map((child) => child.exit()));
          const entries = await readAll(store, "r1");
          expect(entries).toHaveLength(201);
          entries.forEach((entry, seq) => {
            expect(entry.seq).toBe(seq);
            if (seq > 0) expect(entry.text).toContain(`"prev":"${entries[seq - 1]!.hash}"`);
          });
          expect(reports).toHaveLength(2);
        });
      });
  });
}

conformance({
  name: "memory",
  durable: false,
  fresh: async () => {
    // The memory store's other instances are the store itself: it has no other way to share a ledger.
    const store = openMemoryStore();
    return { open: async () => store, spec: null };
  },
});

let sqliteDir = "";
beforeAll(() => {
  sqliteDir = mkdtempSync(join(tmpdir(), "flow-sqlite-"));
});
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));
let sqliteFiles = 0;
conformance({
  name: "sqlite",
  durable: true,
  fresh: async () => {
    const path = join(sqliteDir, `test-${++sqliteFiles}`, "flow.db");
    return { open: () => openSqliteStore(path), spec: `sqlite:${path}` };
  },
});

let cluster: PgThrowaway | null = null;
// One database, ordering text by a language's rules as most do (the store must not depend on it), and a schema per test.
let pgUrl = "";
let pgSchemas = 0;
describe("postgres", () => {
  beforeAll(async () => {
    cluster = await startPgThrowaway();
    await adminQuery(cluster.url, "create database flow_tests locale_provider icu icu_locale 'en-US' template template0");
    pgUrl = cluster.url.replace("/postgres?", "/flow_tests?");
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  conformance({
    name: "postgres",
    durable: true,
    // A fresh schema per test, the store's tables found through search_path: creating a database takes ~0.4 s, a schema ~1 ms.
    fresh: async () => {
      const schema = `test_${++pgSchemas}`;
      await adminQuery(pgUrl, `create schema ${schema}`);
      const url = `${pgUrl}&options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      return { open: () => openPostgresStore(url), spec: url };
    },
  });
});

async function adminQuery(url: string, query: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(query);
  } finally {
    await admin.end();
  }
}

describe("the SQL stores' schema", () => {
  it("creates the tables once, at the current version, and refuses a database from a newer version", async () => {
    const path = join(sqliteDir, "schema", "flow.db");
    await (await openSqliteStore(path)).close();
    await (await openSqliteStore(path)).close();
    const raw = new Database(path);
    expect(raw.prepare("select version from flow_schema").all()).toEqual([{ version: schemaVersion }]);
    raw.prepare("update flow_schema set version = ?").run(schemaVersion + 1);
    raw.close();
    await expect(openSqliteStore(path)).rejects.toThrow(`schema version ${schemaVersion + 1}, written by a newer flow`);
  });
});

describe("openStore", () => {
  let projectDir = "";
  beforeAll(() => {
    projectDir = mkdtempSync(join(tmpdir(), "flow-project-"));
  });
  afterAll(() => rmSync(projectDir, { recursive: true, force: true }));

  it("opens the store a spec names, SQLite paths from the project directory", async () => {
    const cases = [
      [undefined, "sqlite", ".flow/flow.db"],
      ["sqlite:", "sqlite", ".flow/flow.db"],
      ["sqlite:runs/here.db", "sqlite", "runs/here.db"],
      [`sqlite:${join(projectDir, "absolute.db")}`, "sqlite", "absolute.db"],
      ["memory:", "memory", null],
    ] as const;
    for (const [spec, kind, file] of cases) {
      const store = await openStore(spec, projectDir);
      expect(store.kind).toBe(kind);
      await store.close();
      if (file !== null) expect(existsSync(join(projectDir, file))).toBe(true);
    }
  });

  it("names the accepted forms when the spec is none of them", async () => {
    for (const spec of ["mysql://x", "sqlite", "memory", "flow.db", ""]) {
      const refused = await openStore(spec, projectDir).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(Error);
      const message = (refused as Error).message;
      expect(message).toContain(`unknown store "${spec}"`);
      for (const form of ["sqlite:PATH", "postgres://", "postgresql://", "memory:"]) expect(message).toContain(form);
    }
  });
});

function runRecord(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    workflow: "main",
    source: "examples/hello.flow",
    irHash: "a".repeat(64),
    createdAt: 1000,
    status: "running",
    updatedAt: 1000,
    ...overrides,
  };
}

async function createRun(store: Store, id: string, overrides: Partial<RunRecord> = {}): Promise<void> {
  await store.createRun(runRecord(id, overrides), sealedEntries(id, emptyHead, 1)[0]!);
}

async function head(store: Store, run: string): Promise<ChainHead> {
  const found = await store.head(run);
  if (found === null) throw new Error(`run ${run} has no head`);
  return found;
}

function headOf(entries: readonly StoredEntry[]): ChainHead {
  const last = entries.at(-1);
  return last === undefined ? emptyHead : { seq: last.seq, hash: last.hash };
}

async function readFrom(store: Store, run: string, from: number): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  for await (const entry of store.entries(run, from))
    entries.push({ seq: entry.seq, kind: entry.kind, text: entry.text, hash: entry.hash });
  return entries;
}

function readAll(store: Store, run: string): Promise<StoredEntry[]> {
  return readFrom(store, run, 0);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A store-child.ts process; `line` waits for a line of its output that passes `test`. */
function spawnChild(args: readonly string[]) {
  const child = spawn(process.execPath, [childScript, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let stdout = "";
  return {
    line: (test: (line: string) => boolean) =>
      new Promise<string>((resolve, reject) => {
        const look = () => {
          const found = stdout.split("\n").find(test);
          if (found !== undefined) resolve(found);
        };
        child.stdout.on("data", (chunk: Buffer) => ((stdout += chunk.toString()), look()));
        void exited.then((code) =>
          reject(new Error(`store-child.ts ${args[0]} exited (${code}) before printing the line: ${stderr}`)),
        );
      }),
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
    exit: async () => {
      const code = await exited;
      if (code !== 0) throw new Error(`store-child.ts ${args[0]} exited with ${code}: ${stderr}`);
    },
  };
}
