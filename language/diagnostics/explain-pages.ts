import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DiagnosticCode } from "./codes.ts";

let pagesDirectory: string | undefined;

/**
 * Where the page explaining a code lives: `docs/explain/CODE.md` at the top
 * of the project. This module runs from the sources (two levels below the
 * top) and from bundle chunks (one or two levels below), so the top is
 * found by looking upward for `docs/explain`.
 */
export function explainPagePath(code: DiagnosticCode): string {
  pagesDirectory ??= findPagesDirectory();
  return join(pagesDirectory, `${code}.md`);
}

function findPagesDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 4; level++) {
    const candidate = join(dir, "docs", "explain");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`the explain pages (docs/explain) are missing from the installation near ${fileURLToPath(import.meta.url)}`);
}
