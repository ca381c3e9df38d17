import { type Kysely, type Selectable, type Transaction, sql } from "kysely";
import { AppendQueries } from "./append-queries.ts";
import { checkBatchSeqs, checkFirstSeq } from "./written-seqs.ts";
import { type LeaseAnswer, decideLease, firstLease, releasedExpiry } from "./lease-rule.ts";
import { type StoreTables, migrate } from "./schema.ts";
import { RunExists, UnknownRun } from "./store-errors.ts";
import {
  type ControlRequest,
  type Lease,
  type RunRecord,
  type RunStatus,
  type Snapshot,
  type Store,
  type StoredEntry,
  SeqConflict,
  StaleLease,
} from "./store.ts";

/**
 * The one `Store` over SQL, for SQLite and PostgreSQL alike. What differs
 * between them comes in a `SqlDialect` from sqlite-store.ts or
 * postgres-store.ts; every query here is written once.
 *
 * Every write is one transaction. On SQLite it holds the file from BEGIN
 * (IMMEDIATE): writers take turns, and each sees what the one before wrote.
 * On PostgreSQL two appenders may read the same head; the entries' key
 * (run, seq) refuses the second's INSERT once the first commits, and that
 * refusal is a SeqConflict. (PostgreSQL cannot lock max(seq) FOR UPDATE,
 * and locking the run's row first would cost every append a round trip to
 * decide what the key decides anyway.)
 */

/** What differs between the SQL databases, given by the backend that opens one. */
export interface SqlDialect {
  readonly kind: "sqlite" | "postgres";
  /** Whether SELECT … FOR SHARE / FOR UPDATE exist: PostgreSQL locks rows; SQLite's write transactions hold the file and need no row locks. */
  readonly rowLocks: boolean;
  /** The collation that orders text by its bytes, whatever the database's default (PostgreSQL's often follows a locale). */
  readonly byteCollation: string;
  /** Keeps two processes from migrating one database at once. */
  lockSchema(trx: Transaction<StoreTables>): Promise<void>;
  /** The database's "duplicate key" error: a racing writer got there first. */
  isUniqueViolation(error: unknown): boolean;
}

// An INSERT carries at most this many entries: 5,000 parameters, far below SQLite's 32,766 and
// PostgreSQL's 65,535, and at most this much text, far below PostgreSQL's 1 GB message.
const entriesPerInsert = 1_000;
const textPerInsert = 16 * 1024 * 1024;
// entries() reads this many entries a page, fewer when they are large, to hold about `textPerPage` at a time.
const entriesPerPage = 5_000;
const textPerPage = 8 * 1024 * 1024;

/** Brings the tables to the current schema and returns the store over them. */
export async function openKyselyStore(db: Kysely<StoreTables>, dialect: SqlDialect): Promise<Store> {
  try {
    await migrate(db, dialect.lockSchema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, dialect);
}

class KyselyStore implements Store {
  readonly kind: "sqlite" | "postgres";
  private readonly queries: AppendQueries;

  constructor(
    private readonly db: Kysely<StoreTables>,
    private readonly dialect: SqlDialect,
  ) {
    this.kind = dialect.kind;
    this.queries = new AppendQueries(db, dialect.rowLocks);
  }

  async createRun(run: RunRecord, first: StoredEntry): Promise<void> {
    checkFirstSeq(run.id, first);
    try {
      await this.write(async (trx) => {
        const existing = await trx.selectFrom("runs").select("id").where("id", "=", run.id).executeTakeFirst();
        if (existing !== undefined) throw new RunExists(run.id);
        await trx
          .insertInto("runs")
          .values({
            id: run.id,
            workflow: run.workflow,
            source: run.source,
            ir_hash: run.irHash,
            created_at: run.createdAt,
            status: run.status,
            updated_at: run.updatedAt,
          })
          .execute();
        await this.insertEntries(trx, run.id, [first]);
      });
    } catch (error) {
      if (this.dialect.isUniqueViolation(error)) throw new RunExists(run.id);
      throw error;
    }
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const row = await this.db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : toRunRecord(row);
  }

  async listRuns(options?: { readonly limit?: number }): Promise<RunRecord[]> {
    const limit = options?.limit;
    const rows = await this.db
      .selectFrom("runs")
      .selectAll()
      .orderBy("created_at", "desc")
      .orderBy(sql`id collate ${sql.raw(this.dialect.byteCollation)}`, "asc")
      .$if(limit !== undefined, (q) => q.limit(limit!))
      .execute();
    return rows.map(toRunRecord);
  }

  async setRunStatus(id: string, status: RunStatus, updatedAt: number): Promise<void> {
    await this.write(async (trx) => {
      const result = await trx.updateTable("runs").set({ status, updated_at: updatedAt }).where("id", "=", id).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new UnknownRun(id);
    });
  }

  async append(run: string, entries: readonly StoredEntry[], epoch?: number): Promise<void> {
    const first = entries[0];
    if (first === undefined) return;
    checkBatchSeqs(run, entries);
    try {
      await this.write(async (trx) => {
        if (epoch !== undefined) {
          const { rows } = await trx.executeQuery(this.queries.leaseEpoch(run));
          if (rows[0]?.epoch !== epoch) throw new StaleLease(run, epoch);
        }
        const next = await this.nextSeq(trx, run);
        // Every run has its entry 0 from createRun.
        if (next === 0) throw new UnknownRun(run);
        if (first.seq !== next) throw new SeqConflict(run, first.seq, next);
        await this.insertEntries(trx, run, entries);
      });
    } catch (error) {
      // Two appenders that both read the same head both insert its next seq: the key refuses the second, once the first commits.
      if (this.dialect.isUniqueViolation(error)) throw new SeqConflict(run, first.seq, await this.nextSeq(this.db, run));
      throw error;
    }
  }

  async head(run: string): Promise<{ readonly seq: number; readonly hash: string } | null> {
    const row = await this.db
      .selectFrom("entries")
      .select(["seq", "hash"])
      .where("run", "=", run)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  async *entries(run: string, from: number, to?: number): AsyncIterable<StoredEntry> {
    let next = from;
    let limit = entriesPerPage;
    for (;;) {
      const page = await this.db
        .selectFrom("entries")
        .select(["seq", "kind", "text", "hash"])
        .where("run", "=", run)
        .where("seq", ">=", next)
        .$if(to !== undefined, (q) => q.where("seq", "<=", to!))
        .orderBy("seq", "asc")
        .limit(limit)
        .execute();
      yield* page;
      const last = page.at(-1);
      if (last === undefined || page.length < limit) return;
      next = last.seq + 1;
      const text = page.reduce((sum, entry) => sum + entry.text.length, 0);
      limit = Math.max(1, Math.min(entriesPerPage, Math.floor((textPerPage * page.length) / Math.max(1, text))));
    }
  }

  async saveSnapshot(run: string, snapshot: Snapshot): Promise<void> {
    await this.write(async (trx) => {
      await this.checkRunExists(trx, run);
      await trx
        .insertInto("snapshots")
        .values({ run, seq: snapshot.seq, text: snapshot.text })
        .onConflict((oc) => oc.columns(["run", "seq"]).doUpdateSet({ text: snapshot.text }))
        .execute();
    });
  }

  async latestSnapshot(run: string): Promise<Snapshot | null> {
    const row = await this.db
      .selectFrom("snapshots")
      .select(["seq", "text"])
      .where("run", "=", run)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  async acquireLease(
    run: string,
    owner: string,
    now: number,
    ttl: number,
    steal?: (holder: Lease) => boolean,
  ): Promise<LeaseAnswer> {
    return this.write(async (trx) => {
      const first = firstLease(run, owner, now, ttl);
      const inserted = await trx
        .insertInto("leases")
        .values({ run, owner, epoch: first.epoch, expires_at: first.expiresAt })
        .onConflict((oc) => oc.column("run").doNothing())
        .executeTakeFirst();
      if (inserted.numInsertedOrUpdatedRows === 1n) return { granted: first };
      const row = await trx
        .selectFrom("leases")
        .selectAll()
        .where("run", "=", run)
        .$if(this.dialect.rowLocks, (q) => q.forUpdate())
        .executeTakeFirstOrThrow();
      const answer = decideLease({ run, owner: row.owner, epoch: row.epoch, expiresAt: row.expires_at }, owner, now, ttl, steal);
      if ("granted" in answer) {
        const { granted } = answer;
        await trx
          .updateTable("leases")
          .set({ owner: granted.owner, epoch: granted.epoch, expires_at: granted.expiresAt })
          .where("run", "=", run)
          .execute();
      }
      return answer;
    });
  }

  async renewLease(run: string, epoch: number, now: number, ttl: number): Promise<void> {
    await this.write(async (trx) => {
      const result = await trx
        .updateTable("leases")
        .set({ expires_at: now + ttl })
        .where("run", "=", run)
        .where("epoch", "=", epoch)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new StaleLease(run, epoch);
    });
  }

  async releaseLease(run: string, epoch: number): Promise<void> {
    await this.write((trx) =>
      trx.updateTable("leases").set({ expires_at: releasedExpiry }).where("run", "=", run).where("epoch", "=", epoch).execute(),
    );
  }

  async lease(run: string): Promise<Lease | null> {
    const row = await this.db.selectFrom("leases").select(["owner", "epoch", "expires_at"]).where("run", "=", run).executeTakeFirst();
    return row === undefined ? null : { run, owner: row.owner, epoch: Number(row.epoch), expiresAt: Number(row.expires_at) };
  }

  async requestControl(run: string, request: ControlRequest): Promise<void> {
    await this.write(async (trx) => {
      await this.checkRunExists(trx, run);
      const row = { run, kind: request.kind, by: request.by, at: request.at };
      await trx
        .insertInto("controls")
        .values(row)
        // A cancel replaces whatever stands; a pause does not replace a cancel.
        .onConflict((oc) => (request.kind === "cancel" ? oc.column("run").doUpdateSet({ kind: row.kind, by: row.by, at: row.at }) : oc.column("run").doNothing()))
        .execute();
    });
  }

  async controlRequest(run: string): Promise<ControlRequest | null> {
    const row = await this.db.selectFrom("controls").select(["kind", "by", "at"]).where("run", "=", run).executeTakeFirst();
    return row === undefined ? null : { kind: row.kind as ControlRequest["kind"], by: row.by, at: Number(row.at) };
  }

  async clearControl(run: string): Promise<void> {
    await this.write((trx) => trx.deleteFrom("controls").where("run", "=", run).execute());
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Every write goes through here: one transaction (BEGIN IMMEDIATE on SQLite, see sqlite-store.ts). */
  private write<T>(body: (trx: Transaction<StoreTables>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(body);
  }

  private async nextSeq(db: Kysely<StoreTables>, run: string): Promise<number> {
    const { rows } = await db.executeQuery(this.queries.lastSeq(run));
    return (rows[0]?.seq ?? -1) + 1;
  }

  private async checkRunExists(trx: Transaction<StoreTables>, run: string): Promise<void> {
    const row = await trx.selectFrom("runs").select("id").where("id", "=", run).executeTakeFirst();
    if (row === undefined) throw new UnknownRun(run);
  }

  private async insertEntries(trx: Transaction<StoreTables>, run: string, entries: readonly StoredEntry[]): Promise<void> {
    for (const chunk of insertChunks(entries)) await trx.executeQuery(this.queries.insert(run, chunk));
  }
}

function* insertChunks(entries: readonly StoredEntry[]): Generator<readonly StoredEntry[]> {
  let start = 0;
  while (start < entries.length) {
    let end = start;
    let text = 0;
    while (
      end < entries.length &&
      end - start < entriesPerInsert &&
      (end === start || text + entries[end]!.text.length <= textPerInsert)
    ) {
      text += entries[end]!.text.length;
      end++;
    }
    yield entries.slice(start, end);
    start = end;
  }
}

function toRunRecord(row: Selectable<StoreTables["runs"]>): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    source: row.source,
    irHash: row.ir_hash,
    createdAt: row.created_at,
    // Only setRunStatus and createRun write it, from a RunStatus.
    status: row.status as RunStatus,
    updatedAt: row.updated_at,
  };
}
