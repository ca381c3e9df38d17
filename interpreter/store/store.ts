/**
 * Where runs and their ledgers are kept. One interface, three backends
 * (SQLite, the embedded default; PostgreSQL, for many workers; memory, for
 * tests and the playground), held to the same conformance suite
 * (test/store-conformance.test.ts).
 *
 * The store keeps each entry's canonical text byte for byte, as sealed by
 * interpreter/ledger/chain.ts; it never re-serialises an entry. Appends
 * name the seq they expect to write next: a mismatch is `SeqConflict`,
 * never an overwrite. A run is driven by one process at a time, the holder
 * of its lease; every lease has a fencing epoch, and an append under an
 * epoch that is no longer current is `StaleLease`.
 */

export type RunStatus = "running" | "parked" | "paused" | "aborted" | "completed" | "failed" | "cancelled" | "interrupted";

/** What `flow pause` and `flow cancel` ask of the process driving a run, and who asked. */
export interface ControlRequest {
  readonly kind: "pause" | "cancel";
  readonly by: string;
  readonly at: number;
}

export interface RunRecord {
  readonly id: string;
  readonly workflow: string;
  /** The entry file as the user named it, for `flow runs`. */
  readonly source: string;
  readonly irHash: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly status: RunStatus;
  readonly updatedAt: number;
}

export interface StoredEntry {
  readonly seq: number;
  readonly kind: string;
  /** The entry's canonical JSON, byte for byte as sealed. */
  readonly text: string;
  readonly hash: string;
}

export interface Snapshot {
  /** The state is the fold of entries 0..seq. */
  readonly seq: number;
  readonly text: string;
}

export interface Lease {
  readonly run: string;
  readonly owner: string;
  readonly epoch: number;
  readonly expiresAt: number;
}

export class SeqConflict extends Error {
  constructor(
    readonly run: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`run ${run}: expected to append seq ${expected}, but the ledger's next seq is ${actual}`);
    this.name = "SeqConflict";
  }
}

export class StaleLease extends Error {
  constructor(
    readonly run: string,
    readonly epoch: number,
  ) {
    super(`run ${run}: the lease of epoch ${epoch} is no longer held; another process took the run over`);
    this.name = "StaleLease";
  }
}

export interface Store {
  readonly kind: "sqlite" | "postgres" | "memory";
  /** Creates the run with its first entry (seq 0); fails when the id exists (RunExists, store-errors.ts). */
  createRun(run: RunRecord, first: StoredEntry): Promise<void>;
  getRun(id: string): Promise<RunRecord | null>;
  /** Newest first (createdAt descending, then id ascending, compared by bytes whatever the database's collation). */
  listRuns(options?: { readonly limit?: number }): Promise<RunRecord[]>;
  setRunStatus(id: string, status: RunStatus, updatedAt: number): Promise<void>;
  /**
   * Appends entries whose seqs run on from `entries[0].seq`, which must be
   * the ledger's next seq, in one durable transaction: all or none. With a
   * lease epoch, refuses (StaleLease) unless it is the run's current one.
   * Checks in this order: the epoch, that the run exists (UnknownRun), the
   * seq. A batch whose seqs do not run on one by one is a RangeError.
   */
  append(run: string, entries: readonly StoredEntry[], epoch?: number): Promise<void>;
  /** The last entry's seq and hash; null for an unknown run. */
  head(run: string): Promise<{ readonly seq: number; readonly hash: string } | null>;
  /** Entries with `from <= seq` (and `seq <= to` when given), in seq order, read a page at a time. */
  entries(run: string, from: number, to?: number): AsyncIterable<StoredEntry>;
  /** Keeps the snapshot beside earlier ones; saving at a seq that has one replaces it. */
  saveSnapshot(run: string, snapshot: Snapshot): Promise<void>;
  /** The snapshot with the highest seq, or null. */
  latestSnapshot(run: string): Promise<Snapshot | null>;
  /**
   * Takes the run's lease for `owner` until `now + ttl`: granted when it is
   * free, expired, already the owner's, or `steal(holder)` says the holder
   * is gone (a dead process on this machine); each grant to a new owner
   * bumps the epoch. Otherwise returns the current holder. An epoch stays
   * current until the lease is granted to another owner: until then its
   * holder may still renew and append under it, expired or released.
   */
  acquireLease(
    run: string,
    owner: string,
    now: number,
    ttl: number,
    steal?: (holder: Lease) => boolean,
  ): Promise<{ readonly granted: Lease } | { readonly heldBy: Lease }>;
  /** Extends a lease still held under `epoch`; StaleLease otherwise. */
  renewLease(run: string, epoch: number, now: number, ttl: number): Promise<void>;
  /** The run's lease as it stands (held, expired or released), or null when it was never leased. */
  lease(run: string): Promise<Lease | null>;
  /** Frees the lease for the next owner; does nothing under an epoch that is no longer current. */
  releaseLease(run: string, epoch: number): Promise<void>;
  /**
   * Leaves a request for whichever process drives the run (it looks every
   * second): one per run, a cancel standing over a pause, a pause never
   * over a cancel.
   */
  requestControl(run: string, request: ControlRequest): Promise<void>;
  /** The request standing for the run, or null. */
  controlRequest(run: string): Promise<ControlRequest | null>;
  /** Clears the run's request once it is carried out. */
  clearControl(run: string): Promise<void>;
  close(): Promise<void>;
}
