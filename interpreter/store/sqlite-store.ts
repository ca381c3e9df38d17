import Database from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  SqliteDialect,
  type SqliteDatabase,
  SqliteDriver,
  type SqliteStatement,
} from "kysely";
import { mkdirSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { AsyncLock } from "./async-lock.ts";
import { type SqlDialect, openKyselyStore } from "./kysely-store.ts";
import type { StoreTables } from "./schema.ts";
import type { Store } from "./store.ts";

/**
 * The embedded store: one SQLite file (better-sqlite3), in WAL mode with
 * `synchronous = FULL`, so a commit is on disk when `append` resolves.
 */

/** Where a project keeps its runs unless told otherwise. */
export function defaultSqlitePath(projectDir: string): string {
  return join(projectDir, ".flow", "flow.db");
}

// How long a write waits for another process's write transaction to end before failing with SQLITE_BUSY.
const busyTimeoutMs = 10_000;

export async function openSqliteStore(path: string): Promise<Store> {
  mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path, { timeout: busyTimeoutMs });
  try {
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = FULL");
  } catch (error) {
    database.close();
    throw error;
  }
  const lock = writeLockFor(realpathSync(path));
  const db = new Kysely<StoreTables>({ dialect: new ImmediateSqliteDialect(withStatementCache(database), lock) });
  return openKyselyStore(db, sqlite);
}

const sqlite: SqlDialect = {
  kind: "sqlite",
  rowLocks: false,
  byteCollation: "binary",
  // BEGIN IMMEDIATE already holds the file for the migration's transaction.
  lockSchema: async () => {},
  isUniqueViolation: (error) =>
    error instanceof Database.SqliteError &&
    (error.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || error.code === "SQLITE_CONSTRAINT_UNIQUE"),
};

/**
 * Kysely's SQLite driver, with write transactions that take the file's
 * write lock at BEGIN (IMMEDIATE). A deferred BEGIN takes it at the first
 * write, after the transaction has read the head: two processes could both
 * read, then neither could write, and SQLite fails one at once instead of
 * making it wait (busy_timeout does not apply to that deadlock).
 *
 * Within one process, better-sqlite3 waits for the file's lock by blocking
 * the thread, so a second connection to the same file waiting on a first
 * whose transaction is between two awaits would wait for busy_timeout and
 * fail; the in-process lock makes such connections take turns instead.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: SqliteDatabase,
    private readonly lock: AsyncLock,
  ) {
    super({ database });
  }

  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.database, this.lock);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    database: SqliteDatabase,
    private readonly lock: AsyncLock,
  ) {
    super({ database });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.lock.acquire();
    try {
      await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    } catch (error) {
      this.lock.release();
      throw error;
    }
  }

  // When COMMIT fails the transaction is still open: Kysely rolls it back next, which releases the lock.
  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
    this.lock.release();
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw("rollback"));
    } finally {
      this.lock.release();
    }
  }
}

// One in-process write lock per database file, shared by every store open on it in this process.
const writeLocks = new Map<string, AsyncLock>();

function writeLockFor(file: string): AsyncLock {
  let lock = writeLocks.get(file);
  if (lock === undefined) {
    lock = new AsyncLock();
    writeLocks.set(file, lock);
  }
  return lock;
}

// Kysely prepares every query it runs; preparing costs more than running a small statement (~60 µs against ~10 µs).
const cachedStatements = 500;

/** The database as Kysely's driver sees it, with prepared statements kept by their SQL text. */
function withStatementCache(database: Database.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(text: string): SqliteStatement {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = database.prepare(text);
        if (statements.size >= cachedStatements) statements.delete(statements.keys().next().value!);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}
