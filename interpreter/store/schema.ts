import type { Kysely, Transaction } from "kysely";

/**
 * The SQL stores' tables, written once with Kysely's schema builder so that
 * SQLite and PostgreSQL get the same ones. Times are milliseconds since the
 * epoch (`bigint`: they outgrow 32 bits); seqs and epochs are `integer`.
 *
 * There are no foreign keys: the store checks that a run exists in the same
 * transaction that writes to it, and a foreign key would cost PostgreSQL a
 * lookup per appended entry.
 */
export interface StoreTables {
  runs: {
    id: string;
    workflow: string;
    source: string;
    ir_hash: string;
    created_at: number;
    status: string;
    updated_at: number;
  };
  entries: { run: string; seq: number; kind: string; text: string; hash: string };
  snapshots: { run: string; seq: number; text: string };
  /** One row per run that was ever leased, kept after release so that epochs never repeat. */
  leases: { run: string; owner: string; epoch: number; expires_at: number };
  /** A pause or cancel asked of the process driving a run (`flow pause`, `flow cancel`), until it is carried out. */
  controls: { run: string; kind: string; by: string; at: number };
  /** One row: the version of the schema the tables are at. */
  flow_schema: { version: number };
}

// Migrations see the database untyped: they run against the tables as they were, not as they are now.
type Migration = (db: Transaction<any>) => Promise<void>;

/** Migration `i` takes the schema from version `i` to `i + 1`. Add new ones at the end; never change a released one. */
const migrations: readonly Migration[] = [createTables, createControls];

export const schemaVersion = migrations.length;

/**
 * Brings the tables to `schemaVersion`, in one transaction: creates them in
 * an empty database, migrates an older one, does nothing to a current one.
 * `lockSchema` keeps processes opening the same database at once from
 * migrating it twice. Refuses a database written by a newer version.
 */
export async function migrate(
  db: Kysely<StoreTables>,
  lockSchema: (trx: Transaction<StoreTables>) => Promise<void>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockSchema(trx);
    await trx.schema
      .createTable("flow_schema")
      .ifNotExists()
      .addColumn("version", "integer", (c) => c.notNull())
      .execute();
    const row = await trx.selectFrom("flow_schema").select("version").executeTakeFirst();
    const from = row?.version ?? 0;
    if (from > schemaVersion) {
      throw new Error(
        `the store's tables are at schema version ${from}, written by a newer flow; this one knows versions up to ${schemaVersion}`,
      );
    }
    if (from === schemaVersion) return;
    for (const step of migrations.slice(from)) await step(trx);
    if (row === undefined) await trx.insertInto("flow_schema").values({ version: schemaVersion }).execute();
    else await trx.updateTable("flow_schema").set({ version: schemaVersion }).execute();
  });
}

async function createTables(db: Transaction<any>): Promise<void> {
  await db.schema
    .createTable("runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("ir_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  // `flow runs` lists newest first.
  await db.schema.createIndex("runs_newest_first").on("runs").columns(["created_at desc", "id"]).execute();
  await db.schema
    .createTable("entries")
    .addColumn("run", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("entries_run_seq", ["run", "seq"])
    .execute();
  await db.schema
    .createTable("snapshots")
    .addColumn("run", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("snapshots_run_seq", ["run", "seq"])
    .execute();
  await db.schema
    .createTable("leases")
    .addColumn("run", "text", (c) => c.primaryKey())
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("epoch", "integer", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
}

async function createControls(db: Transaction<any>): Promise<void> {
  await db.schema
    .createTable("controls")
    .addColumn("run", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("by", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
}
