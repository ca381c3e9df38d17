import { type ChainHead, emptyHead } from "../../interpreter/ledger/chain.ts";
import { BrokenChain, checkedEntries } from "../../interpreter/ledger/checked-entries.ts";
import type { Entry } from "../../interpreter/ledger/entry.ts";
import { type ReceiptBody, receiptOf } from "../../interpreter/receipts/receipt.ts";
import type { Store } from "../../interpreter/store/store.ts";
import { ApiError } from "./api-error.ts";

interface ReadLedger {
  head: ChainHead;
  readonly entries: Entry[];
  /** The receipt's body at `seq`, made again only once the ledger has moved past it. */
  receipt: { readonly seq: number; readonly body: ReceiptBody } | null;
}

/**
 * Runs' ledgers as the routes that need every entry read them (a vertex's
 * steps and spend, the gates decided, the receipt): each entry's link
 * checked and the entry parsed once, then kept, so that a request reads
 * only what was appended since the last. Read whole on every request, the
 * first 100,000 entries of bench/run's ledger on SQLite cost each click in
 * the inspector 1.6-1.8 s, and the receipt's body (a vertex's spend is its
 * line) 0.1-0.35 s more (at a load of 5); asked again with nothing
 * appended, under a millisecond. A store never changes an entry once
 * appended, so what was checked stays checked.
 *
 * The runs asked about last are kept (`keep` of them), as a ledger read
 * whole was held while a request used it anyway. Two requests about one
 * run at once do not share the run's ledger while either reads: the
 * second reads it for itself, and the last to finish is kept.
 */
export class RunLedgers {
  private readonly runs = new Map<string, ReadLedger>();

  constructor(
    private readonly store: Store,
    private readonly keep = 4,
  ) {}

  /** The run's entries, in order; a ledger whose chain breaks is a 409. */
  async entries(run: string): Promise<readonly Entry[]> {
    return (await this.read(run)).entries;
  }

  /** `receiptOf` the run's ledger as it is now (unsigned). */
  async receipt(run: string): Promise<ReceiptBody> {
    const ledger = await this.read(run);
    if (ledger.receipt?.seq !== ledger.head.seq) ledger.receipt = { seq: ledger.head.seq, body: receiptOf(ledger.entries) };
    return ledger.receipt.body;
  }

  private async read(run: string): Promise<ReadLedger> {
    const ledger = this.runs.get(run) ?? { head: emptyHead, entries: [], receipt: null };
    // Out of the map while it is read (no other request appends to it); back in, as the run asked about last.
    this.runs.delete(run);
    try {
      for await (const entry of checkedEntries(this.store, run, ledger.head)) {
        ledger.entries.push(entry);
        ledger.head = { seq: entry.seq, hash: entry.hash };
      }
    } catch (error) {
      if (error instanceof BrokenChain) throw new ApiError(409, "broken_ledger", `run ${run}: ${error.message}`, "`POST /api/runs/:id/replay` says where it breaks");
      throw error;
    }
    this.runs.set(run, ledger);
    for (const oldest of this.runs.keys()) {
      if (this.runs.size <= this.keep) break;
      this.runs.delete(oldest);
    }
    return ledger;
  }
}
