import fc from "fast-check";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { filePages } from "../cli/ledger-pages.ts";

/**
 * `flow replay FILE` reads the file a chunk of bytes at a time and decodes
 * it a segment of whole lines at a time (cli/ledger-pages.ts): whatever their sizes,
 * the lines must be the file's, as decoding it whole and splitting it
 * gives them: a line cut by a chunk's end, a character of several bytes
 * cut there, `\r\n` endings, blank lines and a last line with no break.
 */
describe("filePages", () => {
  const dir = mkdtempSync(join(tmpdir(), "flow-pages-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;

  /** The pages of a file of these bytes, opened by its path, or read by position from a descriptor (as `flow replay FILE` does). */
  const read = async (bytes: Buffer, chunkBytes: number, segmentBytes?: number, by: "path" | "descriptor" = "path"): Promise<string[][]> => {
    const file = join(dir, `ledger-${files++}.jsonl`);
    writeFileSync(file, bytes);
    const fd = by === "descriptor" ? openSync(file, "r") : null;
    try {
      const pages: string[][] = [];
      for await (const page of filePages(fd ?? file, chunkBytes, segmentBytes)) pages.push(page);
      return pages;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  };

  /** What the file's lines are: decoded whole, split at line breaks, `\r` dropped before one, blank lines skipped. */
  const linesOf = (bytes: Buffer): string[] =>
    bytes
      .toString("utf8")
      .split("\n")
      .map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line))
      .filter((line) => line !== "");

  it("gives the file's lines, in order, whatever the size of the chunks read and of the segments decoded, by path or from a descriptor", async () => {
    // Lines of ASCII, of characters of two to four bytes in UTF-8, and blank; ended by \n or \r\n, or not at all.
    const line = fc.oneof(
      fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map((text) => text.replace(/[\r\n]/g, "")),
      fc.string({ unit: "grapheme", maxLength: 12 }).map((text) => text.replace(/[\r\n]/g, "")),
      fc.constant(""),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(line, fc.constantFrom("\n", "\r\n")), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 32 }),
        fc.constantFrom("path" as const, "descriptor" as const),
        async (lines, lastBreak, chunkBytes, segmentBytes, by) => {
          let text = lines.map(([content, end]) => content + end).join("");
          if (!lastBreak && text.endsWith("\n")) text = text.slice(0, text.endsWith("\r\n") ? -2 : -1);
          const bytes = Buffer.from(text, "utf8");
          const pages = await read(bytes, chunkBytes, segmentBytes, by);
          expect(pages.flat()).toEqual(linesOf(bytes));
          expect(pages.every((page) => page.length > 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("leaves a descriptor open when it is left early: the chain check's thread reads it too", async () => {
    const file = join(dir, `ledger-${files++}.jsonl`);
    writeFileSync(file, "a\nb\nc\n");
    const fd = openSync(file, "r");
    try {
      for await (const page of filePages(fd, 2)) {
        expect(page).toEqual(["a"]);
        break;
      }
      const again: string[] = [];
      for await (const page of filePages(fd, 2)) again.push(...page);
      expect(again).toEqual(["a", "b", "c"]);
    } finally {
      closeSync(fd);
    }
  });

  it("decodes a chunk of ASCII and a chunk with other characters alike", async () => {
    const ledger = ['{"a":"plain"}', '{"b":"naïve — ✓ 𝄞"}', '{"c":"plain again"}', "", '{"d":"日本"}'].join("\n");
    const bytes = Buffer.from(`${ledger}\n`, "utf8");
    for (const chunkBytes of [1, 3, 7, 16, 1 << 20]) {
      for (const segmentBytes of [1, 5, 1 << 15]) expect((await read(bytes, chunkBytes, segmentBytes)).flat(), `chunks of ${chunkBytes}, segments of ${segmentBytes}`).toEqual(linesOf(bytes));
    }
  });
});
