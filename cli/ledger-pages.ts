import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";
import type { StoredEntry } from "../interpreter/store/store.ts";

/**
 * A ledger's texts a page at a time, as `replayLedger` reads them: a
 * promise per page, not per entry (a million entries would spend more
 * time awaiting than replaying).
 */

/** The lines of a file `flow export` wrote (JSON lines; `\r\n` read as `\n`, blank lines skipped), a chunk at a time. */
export async function* filePages(path: string): AsyncIterable<string[]> {
  // Read as bytes, each chunk decoded on its own between its first and last line breaks: a line break is one byte in
  // UTF-8, never part of a character, so the pieces decode as the whole file would. Only the line a chunk ends inside
  // is carried over, as bytes, to be completed by the next (joining each chunk's tail to the whole next chunk copied
  // every byte of the file once more: about 4% of `flow replay`; a string decoder, and joining as strings, far more).
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      rest = Buffer.concat([rest, chunk]);
      continue;
    }
    const first = chunk.indexOf(0x0a);
    const texts: string[] = [];
    pushLine(texts, rest.length === 0 ? chunk.toString("utf8", 0, first) : Buffer.concat([rest, chunk.subarray(0, first)]).toString("utf8"));
    if (first < last) for (const line of decoded(chunk.subarray(first + 1, last)).split("\n")) pushLine(texts, line);
    // A copy: the stream's chunk is not kept alive for the few bytes after its last line break.
    rest = Buffer.from(chunk.subarray(last + 1));
    yield texts;
  }
  const texts: string[] = [];
  pushLine(texts, rest.toString("utf8"));
  if (texts.length > 0) yield texts;
}

/**
 * Bytes as UTF-8 text. ASCII (a ledger is, but for what its values quote) is
 * decoded as Latin-1, the same characters for bytes below 0x80, which copies
 * them as they are: UTF-8's decoder took twice as long for the same string.
 */
function decoded(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

function pushLine(texts: string[], line: string): void {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (text !== "") texts.push(text);
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
