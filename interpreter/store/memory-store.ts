import { checkBatchSeqs, checkFirstSeq } from "./written-seqs.ts";
import { type LeaseAnswer, decideLease, firstLease, releasedExpiry } from "./lease-rule.ts";
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
 * The store in memory, for the playground and for tests: the SQL stores'
 * semantics (kysely-store.ts) without their durability. Each method checks
 * and writes without awaiting in between, which makes it atomic here.
 */
export function openMemoryStore(): Store {
  return new MemoryStore();
}

interface MemoryRun {
  record: RunRecord;
  /** Indexed by seq. */
  readonly entries: StoredEntry[];
  /** By seq. */
  readonly snapshots: Map<number, Snapshot>;
}

class MemoryStore implements Store {
  readonly kind = "memory";
  private readonly runs = new Map<string, MemoryRun>();
  private readonly leases = new Map<string, Lease>();
  private readonly controls = new Map<string, ControlRequest>();

  async createRun(run: RunRecord, first: StoredEntry): Promise<void> {
    checkFirstSeq(run.id, first);
    if (this.runs.has(run.id)) throw new RunExists(run.id);
    this.runs.set(run.id, { record: { ...run }, entries: [{ ...first }], snapshots: new Map() });
  }

  async getRun(id: string): Promise<RunRecord | null> {
    return this.runs.get(id)?.record ?? null;
  }

  async listRuns(options?: { readonly limit?: number }): Promise<RunRecord[]> {
    const records = [...this.runs.values()].map((run) => run.record);
    // UTF-16 order, which is the SQL stores' byte order for every id without characters beyond U+FFFF.
    records.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return options?.limit === undefined ? records : records.slice(0, options.limit);
  }

  async setRunStatus(id: string, status: RunStatus, updatedAt: number): Promise<void> {
    const run = this.existing(id);
    run.record = { ...run.record, status, updatedAt };
  }

  async append(run: string, entries: readonly StoredEntry[], epoch?: number): Promise<void> {
    const first = entries[0];
    if (first === undefined) return;
    checkBatchSeqs(run, entries);
    // In the SQL stores' order: the lease, then the run, then the seq.
    if (epoch !== undefined && this.leases.get(run)?.epoch !== epoch) throw new StaleLease(run, epoch);
    const stored = this.existing(run);
    if (first.seq !== stored.entries.length) throw new SeqConflict(run, first.seq, stored.entries.length);
    for (const entry of entries) stored.entries.push({ ...entry });
  }

  async head(run: string): Promise<{ readonly seq: number; readonly hash: string } | null> {
    const last = this.runs.get(run)?.entries.at(-1);
    return last === undefined ? null : { seq: last.seq, hash: last.hash };
  }

  async *entries(run: string, from: number, to?: number): AsyncIterable<StoredEntry> {
    const entries = this.runs.get(run)?.entries ?? [];
    const end = Math.min(entries.length - 1, to ?? Infinity);
    // Read by index, not over a slice: appends made while the caller iterates show up, as in the SQL stores' later pages.
    for (let seq = Math.max(0, from); seq <= end; seq++) yield entries[seq]!;
  }

  async saveSnapshot(run: string, snapshot: Snapshot): Promise<void> {
    this.existing(run).snapshots.set(snapshot.seq, { ...snapshot });
  }

  async latestSnapshot(run: string): Promise<Snapshot | null> {
    const snapshots = this.runs.get(run)?.snapshots;
    if (snapshots === undefined || snapshots.size === 0) return null;
    return snapshots.get(Math.max(...snapshots.keys())) ?? null;
  }

  async acquireLease(
    run: string,
    owner: string,
    now: number,
    ttl: number,
    steal?: (holder: Lease) => boolean,
  ): Promise<LeaseAnswer> {
    const current = this.leases.get(run);
    const answer: LeaseAnswer =
      current === undefined ? { granted: firstLease(run, owner, now, ttl) } : decideLease(current, owner, now, ttl, steal);
    if ("granted" in answer) this.leases.set(run, answer.granted);
    return answer;
  }

  async renewLease(run: string, epoch: number, now: number, ttl: number): Promise<void> {
    const current = this.leases.get(run);
    if (current?.epoch !== epoch) throw new StaleLease(run, epoch);
    this.leases.set(run, { ...current, expiresAt: now + ttl });
  }

  async releaseLease(run: string, epoch: number): Promise<void> {
    const current = this.leases.get(run);
    if (current?.epoch === epoch) this.leases.set(run, { ...current, expiresAt: releasedExpiry });
  }

  async lease(run: string): Promise<Lease | null> {
    const lease = this.leases.get(run);
    return lease === undefined ? null : { ...lease };
  }

  async requestControl(run: string, request: ControlRequest): Promise<void> {
    this.existing(run);
    if (request.kind === "cancel" || !this.controls.has(run)) this.controls.set(run, { ...request });
  }

  async controlRequest(run: string): Promise<ControlRequest | null> {
    const request = this.controls.get(run);
    return request === undefined ? null : { ...request };
  }

  async clearControl(run: string): Promise<void> {
    this.controls.delete(run);
  }

  async close(): Promise<void> {}

  private existing(id: string): MemoryRun {
    const run = this.runs.get(id);
    if (run === undefined) throw new UnknownRun(id);
    return run;
  }
}
