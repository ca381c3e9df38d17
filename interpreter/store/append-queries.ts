import type { CompiledQuery, Kysely } from "kysely";
import type { StoreTables } from "./schema.ts";
import type { StoredEntry } from "./store.ts";

/**
 * The queries an append runs, built and compiled by Kysely once and then
 * run with new parameters. Building and compiling costs ~25 µs a query and
 * ~1.7 µs an inserted row: several times what SQLite takes to run them,
 * which made up a third of an append's time.
 */
export class AppendQueries {
  private readonly lastSeqQuery: CompiledQuery<{ seq: number | null }>;
  private readonly leaseEpochQuery: CompiledQuery<{ epoch: number }>;
  /** By row count, the few counts last used: appends come mostly in full chunks or in the sizes their caller keeps using. */
  private readonly inserts = new Map<number, CompiledQuery>();

  constructor(
    private readonly db: Kysely<StoreTables>,
    rowLocks: boolean,
  ) {
    this.lastSeqQuery = withRunOnly(
      db
        .selectFrom("entries")
        .select((eb) => eb.fn.max("seq").as("seq"))
        .where("run", "=", "")
        .compile(),
    );
    // FOR SHARE: a grant to another owner (acquireLease updates this row) waits until the append is in, or refused.
    this.leaseEpochQuery = withRunOnly(
      db
        .selectFrom("leases")
        .select("epoch")
        .where("run", "=", "")
        .$if(rowLocks, (q) => q.forShare())
        .compile(),
    );
  }

  /** The highest seq of the run's entries (null when it has none). */
  lastSeq(run: string): CompiledQuery<{ seq: number | null }> {
    return { ...this.lastSeqQuery, parameters: [run] };
  }

  leaseEpoch(run: string): CompiledQuery<{ epoch: number }> {
    return { ...this.leaseEpochQuery, parameters: [run] };
  }

  /** One multi-row INSERT of the chunk. */
  insert(run: string, chunk: readonly StoredEntry[]): CompiledQuery {
    const parameters = chunk.flatMap((entry) => [run, entry.seq, entry.kind, entry.text, entry.hash]);
    const known = this.inserts.get(chunk.length);
    if (known !== undefined) return { ...known, parameters };
    const query = this.db
      .insertInto("entries")
      .values(chunk.map((entry) => ({ run, seq: entry.seq, kind: entry.kind, text: entry.text, hash: entry.hash })))
      .compile();
    // Reused only if Kysely places the parameters row by row, in the order `values` lists the columns.
    if (query.parameters.length !== parameters.length || query.parameters.some((value, i) => value !== parameters[i])) {
      throw new Error("append-queries: Kysely no longer places an INSERT's parameters row by row in the order of its columns");
    }
    if (this.inserts.size >= 8) this.inserts.delete(this.inserts.keys().next().value!);
    // Kept without the chunk's texts.
    this.inserts.set(chunk.length, { ...query, parameters: [] });
    return query;
  }
}

function withRunOnly<R>(query: CompiledQuery<R>): CompiledQuery<R> {
  if (query.parameters.length !== 1) throw new Error(`append-queries: expected the run as the only parameter of ${query.sql}`);
  return query;
}
