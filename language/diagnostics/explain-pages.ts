import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DiagnosticCode } from "./codes.ts";

let pagesDirectory: string | undefined;

/**
 * Where the page explaining a code lives: `docs/explain/CODE.md` at the top
 * of the project. The `flow` launcher says where its `dist/` is (FLOW_DIST:
 * a startup snapshot knows only where it was built); otherwise, from the
 * sources or a bundle chunk, the top is found by looking upward from this
 * module for `docs/explain`.
 */
export function explainPagePath(code: DiagnosticCode): string {
  pagesDirectory ??= findPagesDirectory();
  return join(pagesDirectory, `${code}.md`);
}

function findPagesDirectory(): string {
  const dist = process.env["FLOW_DIST"];
  if (dist !== undefined && dist !== "") return join(dirname(dist), "docs", "explain");
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 4; level++) {
    const candidate = join(dir, "docs", "explain");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`the explain pages (docs/explain) are missing from the installation near ${dir}`);
}
