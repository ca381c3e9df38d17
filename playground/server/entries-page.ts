import type { Json } from "../../interpreter/ledger/entry.ts";
import type { Store } from "../../interpreter/store/store.ts";
import { ApiError } from "./api-error.ts";

/** `GET /api/runs/:id/entries?after=SEQ&limit=N`: entries after `after` (all from 0 without it), at most `limit` of them. */
export interface EntriesPage {
  readonly run: string;
  /** Each entry as the ledger keeps it (its canonical JSON, parsed). */
  readonly entries: readonly Json[];
  /** The `after` that asks for the next page: the last seq given, or the one asked after when none was. */
  readonly next: number;
  /** Whether the ledger had more entries after this page when it was read. */
  readonly more: boolean;
}

export const defaultPageSize = 500;
const maxPageSize = 5000;

export function pageParams(url: URL): { readonly after: number; readonly limit: number } {
  return { after: intParam(url, "after", -1, -1), limit: Math.min(intParam(url, "limit", defaultPageSize, 1), maxPageSize) };
}

function intParam(url: URL, name: string, fallback: number, min: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  if (!/^-?\d+$/.test(text) || Number(text) < min) throw new ApiError(400, "bad_param", `\`${name}\` must be an integer of at least ${min}, not \`${text}\``);
  return Number(text);
}

export async function entriesPage(store: Store, run: string, after: number, limit: number): Promise<EntriesPage> {
  const entries: Json[] = [];
  let next = after;
  let more = false;
  // One more than asked for says whether there is more, without counting the ledger.
  for await (const stored of store.entries(run, after + 1, after + limit + 1)) {
    if (entries.length === limit) {
      more = true;
      break;
    }
    entries.push(JSON.parse(stored.text) as Json);
    next = stored.seq;
  }
  return { run, entries, next, more };
}
