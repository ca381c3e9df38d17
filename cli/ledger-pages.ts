import { isAscii } from "node:buffer";
import { createReadStream, read } from "node:fs";
import { fileChunks, ledgerLines } from "../interpreter/ledger/ledger-lines.ts";
import type { StoredEntry } from "../interpreter/store/store.ts";

/**
 * A ledger's texts a page at a time, as `replayLedger` reads them: a
 * promise per page, not per entry (a million entries would spend more
 * time awaiting than replaying).
 */

/**
 * The lines of a file `flow export` wrote (ledger-lines.ts), a chunk of `chunkBytes` at a time, decoded
 * `segmentBytes` at a time. `file` is a path, or a descriptor: read by position from the start and left open (the
 * chain check's thread reads the same descriptor).
 */
export function filePages(file: string | number, chunkBytes = 1 << 20, segmentBytes = 1 << 15): AsyncIterable<string[]> {
  const chunks = typeof file === "number" ? fileChunks(read, file, chunkBytes) : (createReadStream(file, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>);
  return ledgerLines(chunks, isAscii, segmentBytes);
}

/** A run's entries from its store, their texts in pages. */
export async function* storePages(entries: AsyncIterable<StoredEntry>, size = 4096): AsyncIterable<string[]> {
  let page: string[] = [];
  for await (const entry of entries) {
    page.push(entry.text);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
