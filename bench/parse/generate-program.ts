import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A large, realistic program: the example programs repeated, each copy's
 * declarations renamed so the result is one valid file, until it has at
 * least `lines` lines.
 */
export function generateProgram(examplesDir: string, lines: number): string {
  const sources = readdirSync(examplesDir)
    .filter((f) => f.endsWith(".flow"))
    .sort()
    .map((f) => readFileSync(join(examplesDir, f), "utf8"));
  const chunks: string[] = [];
  let count = 0;
  for (let copy = 0; count < lines; copy++) {
    const source = sources[copy % sources.length]!;
    const renamed = source.replace(/^(node|agent|verifier|workflow|type|models) ([A-Za-z_]\w*)/gm, `$1 $2_${copy}`);
    chunks.push(renamed);
    count += renamed.split("\n").length;
  }
  return chunks.join("\n");
}
