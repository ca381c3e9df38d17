import { compile } from "../../../compiler/compile-ir.ts";
import type { ModuleHost } from "../../../compiler/modules.ts";
import { graphModel } from "../../../cli/graph/graph-model.ts";
import { SourceFile } from "../../../language/source-file.ts";
import type { Analysis, WorkflowView } from "../protocol.ts";
import { layeredLayout } from "../graph/layered-layout.ts";
import { costTable } from "./cost-table.ts";
import { hoverTypes } from "./hover-types.ts";
import { markerDiagnostics } from "./marker-diagnostics.ts";

/**
 * What the page shows for one version of the source, computed as `flow
 * graph` computes it: check, lower to the IR and verify (compile-ir.ts),
 * then the IR's graph model, laid out, with its cost table. Only the
 * workflows the entry file declares are drawn, as `flow graph` draws them.
 */
export function analyse(path: string, text: string, version: number, host: ModuleHost): Analysis {
  const began = performance.now();
  const source = new SourceFile(path, text);
  const result = compile(source, host, { strict: false });
  const diagnostics = markerDiagnostics(result.diagnostics, result.graph);
  const hovers = hoverTypes(result);
  let workflows: WorkflowView[] | undefined;
  if (result.ir !== undefined) {
    const ir = result.ir;
    const declared = new Map(ir.workflows.filter((d) => d.span.file === ir.entry).map((d) => [d.name, d.span]));
    workflows = graphModel(ir).workflows.flatMap((w) => {
      const span = declared.get(w.name);
      if (span === undefined) return [];
      const lines = { first: source.position(span.start).line, last: source.position(span.end).line };
      return [{ name: w.name, label: w.label, lines, graph: layeredLayout(w), costs: costTable(w) }];
    });
  }
  return { kind: "analysis", version, diagnostics, hovers, workflows, millis: Math.round(performance.now() - began) };
}
