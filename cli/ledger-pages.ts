import { createReadStream } from "node:fs";
import type { StoredEntry } from "../interpreter/store/store.ts";

/**
 * A ledger's texts a page at a time, as `replayLedger` reads them: a
 * promise per page, not per entry (a million entries would spend more
 * time awaiting than replaying).
 */

/** The lines of a file `flow export` wrote (JSON lines; `\r\n` read as `\n`, blank lines skipped), a chunk at a time. */
export async function* filePages(path: string): AsyncIterable<string[]> {
  let rest = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop() as string;
    yield textLines(lines);
  }
  const last = textLines([rest]);
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
