/**
 * Text as lines, the one way std splits them (`lines`, `sh(…).lines`,
 * `grep`): at `\n`, `\r\n` counting as one break, and no empty last line
 * for text that ends with a break (`"a\nb\n"` is `["a", "b"]`, `""` is
 * `[]`). A lone `\r` is not a break: it stays in its line.
 */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const pieces = text.split("\n");
  // Only a `\r` right before a `\n` belongs to the break; the last piece has no `\n` after it.
  const lines = pieces.map((line, i) => (i < pieces.length - 1 && line.endsWith("\r") ? line.slice(0, -1) : line));
  if (text.endsWith("\n")) lines.pop();
  return lines;
}
