import { isAbsolute, resolve } from "node:path";
import { openMemoryStore } from "./memory-store.ts";
import { openPostgresStore } from "./postgres-store.ts";
import { defaultSqlitePath, openSqliteStore } from "./sqlite-store.ts";
import type { Store } from "./store.ts";

/**
 * Opens the store a spec names (`--store`, or the project's setting):
 * `sqlite:PATH`, `postgres://…` or `postgresql://…`, or `memory:`. Without
 * a spec, the project's SQLite file (.flow/flow.db).
 */
export async function openStore(spec: string | undefined, projectDir: string): Promise<Store> {
  const file = sqliteFileOf(spec, projectDir);
  if (file !== null) return openSqliteStore(file);
  if (spec?.startsWith("postgres://") || spec?.startsWith("postgresql://")) return openPostgresStore(spec);
  if (spec === "memory:") return openMemoryStore();
  throw new Error(
    [
      `unknown store "${spec}"; a store is one of:`,
      `  sqlite:PATH              a SQLite file; a relative PATH is from the project directory (sqlite: alone is .flow/flow.db)`,
      `  postgres://USER@HOST/DB  a PostgreSQL database (postgresql://… too), e.g. postgres://flow@db.internal:5432/flow`,
      `  memory:                  in this process's memory, gone when it exits`,
    ].join("\n"),
  );
}

/** The SQLite file a spec names (none: the project's, .flow/flow.db), or null when it names another kind of store. */
export function sqliteFileOf(spec: string | undefined, projectDir: string): string | null {
  if (spec === undefined) return defaultSqlitePath(projectDir);
  if (!spec.startsWith("sqlite:")) return null;
  const path = spec.slice("sqlite:".length);
  if (path === "") return defaultSqlitePath(projectDir);
  return isAbsolute(path) ? path : resolve(projectDir, path);
}
