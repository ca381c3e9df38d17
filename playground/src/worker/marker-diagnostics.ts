import type { ModuleGraph } from "../../../compiler/modules.ts";
import type { Diagnostic } from "../../../language/diagnostics/diagnostic.ts";
import type { SourceFile } from "../../../language/source-file.ts";
import type { MarkerDiagnostic } from "../protocol.ts";
import { rangeOf } from "./ranges.ts";

/**
 * Diagnostics as editor markers. Only the entry file is open in the editor:
 * a problem in a file it imports (an example's shared library, a std
 * module) is shown on the import that brought that file in, its own place
 * named in the text.
 */
export function markerDiagnostics(diagnostics: readonly Diagnostic[], graph: ModuleGraph): MarkerDiagnostic[] {
  const entry = graph.entry;
  const sources = new Map<string, SourceFile>([...graph.modules.values()].map((m) => [m.path, m.source]));
  return diagnostics.map((d) => {
    const file = d.primary.span.file;
    const where = (path: string, start: number) => {
      const position = sources.get(path)?.position(start);
      return position === undefined ? path : `${path}:${position.line}:${position.column}`;
    };
    const lines = [`${d.primary.label}`];
    for (const s of d.secondary) lines.push(s.span.file === entry.path ? `${s.label} (line ${entry.source.position(s.span.start).line})` : `${s.label} (${where(s.span.file, s.span.start)})`);
    if (d.help !== undefined) lines.push(`help: ${d.help}`);
    if (file === entry.path) {
      return { code: d.code, severity: d.severity, message: d.message, range: rangeOf(entry.source, d.primary.span), detail: lines.join("\n") };
    }
    return {
      code: d.code,
      severity: d.severity,
      message: `in ${where(file, d.primary.span.start)}: ${d.message}`,
      range: rangeOf(entry.source, importOf(graph, file) ?? { start: 0, end: 0 }),
      detail: lines.join("\n"),
    };
  });
}

/** The span of the entry's import that loads `path`, directly. */
function importOf(graph: ModuleGraph, path: string): { start: number; end: number } | undefined {
  for (const [decl, module] of graph.targets) {
    if (module.path === path && graph.entry.parsed.program.decls.includes(decl)) return decl.span;
  }
  return undefined;
}
