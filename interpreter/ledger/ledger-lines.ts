/**
 * The lines of a ledger file (JSON lines, as `flow export` writes them;
 * `\r\n` read as `\n`, blank lines skipped) from its bytes, a page of
 * lines for each chunk read. Self-contained (it reads nothing but its
 * parameters and JavaScript's and node's globals): its source also runs
 * as is on the chain check's thread, which reads the same file for itself
 * (chain-check.ts).
 *
 * Each chunk is decoded a segment of whole lines at a time and split: a
 * line break is one byte in UTF-8, never part of a character, so the lines
 * decode as the whole file would. Only the line a chunk ends inside is
 * carried over, as bytes, to be completed by the next (joining each
 * chunk's tail to the whole next chunk copied every byte of the file once
 * more: about 4% of `flow replay`; a string decoder, and joining as
 * strings, far more).
 *
 * A segment (`segmentBytes`, and up to the next line break) is a string
 * the young generation collects once replay has read its lines, which are
 * slices of it. A chunk decoded whole made a string of a megabyte, a large
 * object in the old generation each time, which brought on full
 * collections (marking the run's whole state: 7 in the replay of a
 * million entries, 3 without them); each line decoded on its own cost a
 * call into the buffer's decoder per line. Main thread CPU for the million
 * entries, medians of alternating fresh processes: 5,355 ms decoded whole,
 * 5,025 a line at a time (four of each), 4,680 a segment at a time against
 * 5,220 a line at a time (five of each).
 *
 * `isAscii` is node:buffer's: ASCII (a ledger is, but for what its values
 * quote) is decoded as Latin-1, the same characters for bytes below 0x80,
 * which copies them as they are: UTF-8's decoder took twice as long.
 */
export async function* ledgerLines(chunks: AsyncIterable<Buffer>, isAscii: (bytes: Buffer) => boolean, segmentBytes = 1 << 15): AsyncGenerator<string[]> {
  const pushLine = (texts: string[], line: string): void => {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text !== "") texts.push(text);
  };
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      rest = Buffer.concat([rest, chunk]);
      continue;
    }
    const first = chunk.indexOf(0x0a);
    const texts: string[] = [];
    pushLine(texts, rest.length === 0 ? chunk.toString("utf8", 0, first) : Buffer.concat([rest, chunk.subarray(0, first)]).toString("utf8"));
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

/**
 * A file's bytes from its start, `chunkBytes` at a time, read by position from a descriptor that stays open: replay
 * and the chain check's thread each read the same one (a read stream closes its descriptor when it is left early).
 * Self-contained, like ledgerLines; `read` is node:fs's. (Reading the next chunk while this one is decoded made no
 * difference: a chunk of the page cache is read in a fraction of the time it takes to decode.)
 */
export async function* fileChunks(read: typeof import("node:fs").read, fd: number, chunkBytes: number): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const chunk = Buffer.allocUnsafeSlow(chunkBytes);
    const bytes = await new Promise<number>((resolve, reject) => read(fd, chunk, 0, chunkBytes, position, (error, count) => (error === null ? resolve(count) : reject(error))));
    if (bytes === 0) return;
    position += bytes;
    yield bytes === chunkBytes ? chunk : chunk.subarray(0, bytes);
  }
}
