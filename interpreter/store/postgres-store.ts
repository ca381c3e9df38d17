import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { type SqlDialect, openKyselyStore } from "./kysely-store.ts";
import type { StoreTables } from "./schema.ts";
import type { Store } from "./store.ts";

/** The store for many workers on many machines: PostgreSQL through a `pg` pool. */
export async function openPostgresStore(url: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, types: bigintsAsNumbers() });
  const db = new Kysely<StoreTables>({ dialect: new PostgresDialect({ pool }) });
  return openKyselyStore(db, postgres);
}

/**
 * `pg` returns `bigint` columns (our times, and `count(*)`) as strings,
 * since they may exceed 2^53; ours are milliseconds since the epoch, far
 * below it. Set on this pool only, not on the `pg` module for everyone.
 */
function bigintsAsNumbers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  return types;
}

// Any number: it only has to be the same in every process that migrates a flow store.
const schemaLockKey = 0x666c6f77; // "flow"

const postgres: SqlDialect = {
  kind: "postgres",
  rowLocks: true,
  byteCollation: '"C"',
  // CREATE TABLE IF NOT EXISTS in two sessions at once can fail on a catalogue key: migrations take turns.
  lockSchema: async (trx) => {
    await sql`select pg_advisory_xact_lock(${schemaLockKey})`.execute(trx);
  },
  isUniqueViolation: (error) => error instanceof pg.DatabaseError && error.code === "23505",
};
