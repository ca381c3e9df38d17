import { createReadStream } from "node:fs";
import type { StoredEntry } from "../interpreter/store/store.ts";

/**
 * A ledger's texts a page at a time, as `replayLedger` reads them: a
 * promise per page, not per entry (a million entries would spend more
 * time awaiting than replaying).
 */

/** The lines of a file `flow export` wrote (JSON lines; `\r\n` read as `\n`, blank lines skipped), a chunk at a time. */
export async function* filePages(path: string): AsyncIterable<string[]> {
  // Read as bytes and decoded up to the last line break of each chunk: a line break is one byte in UTF-8, never part of
  // a character, so the pieces decode as the whole file would. (A string decoder, and the end of each chunk joined to
  // the next as a string, which copies it whole again, cost a third of the time `flow replay` takes.)
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes = rest.length === 0 ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer]);
    const end = bytes.lastIndexOf(0x0a);
    if (end === -1) {
      rest = bytes;
      continue;
    }
    rest = bytes.subarray(end + 1);
    yield textLines(bytes.toString("utf8", 0, end).split("\n"));
  }
  const last = textLines([rest.toString("utf8")]);
  if (last.length > 0) yield last;
}

function textLines(lines: readonly string[]): string[] {
  const texts: string[] = [];
  for (const line of lines) {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text !== "") texts.push(text);
  }
  return texts;
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
