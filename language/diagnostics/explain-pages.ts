import { fileURLToPath } from "node:url";
import type { DiagnosticCode } from "./codes.ts";

/**
 * Where the page explaining a code lives: `docs/explain/CODE.md` at the
 * top of the project. This module sits two levels below the top in the
 * sources and is bundled one level below it (dist/flow.mjs); both resolve.
 */
export function explainPagePath(code: DiagnosticCode): string {
  const here = import.meta.url;
  const top = here.includes("/language/diagnostics/") ? new URL("../../", here) : new URL("../", here);
  return fileURLToPath(new URL(`docs/explain/${code}.md`, top));
}
