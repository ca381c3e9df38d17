import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";
import type { StoredEntry } from "../interpreter/store/store.ts";

/**
 * A ledger's texts a page at a time, as `replayLedger` reads them: a
 * promise per page, not per entry (a million entries would spend more
 * time awaiting than replaying).
 */

/**
 * The lines of a file `flow export` wrote (JSON lines; `\r\n` read as `\n`, blank lines skipped), a chunk at a time
 * (`chunkBytes`: how much is read at once; `segmentBytes`: how much is decoded at once, below).
 */
export async function* filePages(path: string, chunkBytes = 1 << 20, segmentBytes = 1 << 15): AsyncIterable<string[]> {
  // Read as bytes, decoded a segment of whole lines at a time and split: a line break is one byte in UTF-8, never
  // part of a character, so the lines decode as the whole file would. Only the line a chunk ends inside is carried
  // over, as bytes, to be completed by the next (joining each chunk's tail to the whole next chunk copied every byte
  // of the file once more: about 4% of `flow replay`; a string decoder, and joining as strings, far more).
  //
  // A segment (32 KB and up to the next line break) is a string the young generation collects once replay has read
  // its lines, which are slices of it. A chunk decoded whole made a string of a megabyte, a large object in the old
  // generation each time, which brought on full collections (marking the run's whole state: 7 in the replay of a
  // million entries, 3 without them); each line decoded on its own cost a call into the buffer's decoder per line.
  // Main thread CPU for the million entries, medians of alternating fresh processes: 5,355 ms decoded whole, 5,025
  // a line at a time (four of each), 4,680 a segment at a time against 5,220 a line at a time (five of each).
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      rest = Buffer.concat([rest, chunk]);
      continue;
    }
    const first = chunk.indexOf(0x0a);
    const texts: string[] = [];
    pushLine(texts, rest.length === 0 ? chunk.toString("utf8", 0, first) : Buffer.concat([rest, chunk.subarray(0, first)]).toString("utf8"));
    // ASCII (a ledger is, but for what its values quote) is decoded as Latin-1, the same characters for bytes below
    // 0x80, which copies them as they are: UTF-8's decoder took twice as long for the same string.
    const encoding = isAscii(chunk.subarray(first + 1, last)) ? "latin1" : "utf8";
    for (let start = first + 1; start < last; ) {
      const end = start + segmentBytes >= last ? last : chunk.indexOf(0x0a, start + segmentBytes);
      for (const line of chunk.toString(encoding, start, end).split("\n")) pushLine(texts, line);
      start = end + 1;
    }
    // A copy: the stream's chunk is not kept alive for the few bytes after its last line break.
    rest = Buffer.from(chunk.subarray(last + 1));
    if (texts.length > 0) yield texts;
  }
  const texts: string[] = [];
  pushLine(texts, rest.toString("utf8"));
  if (texts.length > 0) yield texts;
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
