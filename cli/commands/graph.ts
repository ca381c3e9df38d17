import { compile as compileProgram } from "../../compiler/compile-ir.ts";
import { closestName } from "../../language/closest-name.ts";
import { renderSummary, renderTerminal } from "../../language/diagnostics/render-terminal.ts";
import type { SourceFile } from "../../language/source-file.ts";
import { stdModules } from "../../stdlib/index.ts";
import { exitCodes, UsageError } from "../exit-codes.ts";
import { fileHost } from "../file-host.ts";
import { renderDot } from "../graph/dot.ts";
import { graphModel, type GraphModel } from "../graph/graph-model.ts";
import { renderMermaid } from "../graph/mermaid.ts";
import { renderText } from "../graph/text.ts";
import type { CommandIo } from "../io.ts";
import { expandPaths, readSource } from "../source-files.ts";

export type GraphFormat = "text" | "mermaid" | "dot";

export interface GraphOptions {
  readonly path: string;
  readonly format: GraphFormat;
  /** Only this workflow; every workflow the file declares when undefined. */
  readonly workflow: string | undefined;
}

const renderers: Record<GraphFormat, (model: GraphModel) => string> = { text: renderText, mermaid: renderMermaid, dot: renderDot };

/**
 * `flow graph FILE`: checks the file as `flow compile` does (the same
 * diagnostics and exit codes; nothing on standard output when there is an
 * error), lowers it, and draws the DAG of each workflow it declares from
 * the IR: as text, Mermaid or Graphviz DOT.
 */
export function graph(options: GraphOptions, io: CommandIo): number {
  const files = expandPaths([options.path]);
  if (files.length !== 1 || files[0] !== options.path) {
    throw new UsageError(`\`flow graph\` takes one .flow file, and \`${options.path}\` is a directory`, {
      hint: "name the file whose workflows to draw, such as `flow graph examples/hello.flow`",
    });
  }
  const entry = readSource(options.path);
  const result = compileProgram(entry, fileHost, { strict: false });
  const sources = new Map<string, SourceFile>([...result.graph.modules.values()].map((m) => [m.path, m.source]));
  const userFiles = [...sources.keys()].filter((path) => !stdModules.has(path)).length;
  for (const diagnostic of result.diagnostics) io.err(`${renderTerminal(diagnostic, sources, { color: io.colorErr })}\n\n`);
  if (result.ir === undefined) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = result.diagnostics.filter((d) => d.severity === "warning").length;
    io.err(`${renderSummary(errors, warnings, userFiles, { color: io.colorErr })}\n`);
    return exitCodes.compileError;
  }

  const ir = result.ir;
  const declared = ir.workflows.filter((w) => w.span.file === ir.entry).map((w) => w.name);
  let chosen: readonly string[] = declared;
  if (options.workflow !== undefined) {
    const known = ir.workflows.map((w) => w.name);
    if (!known.includes(options.workflow)) {
      const close = closestName(options.workflow, known);
      throw new UsageError(
        `\`${entry.path}\` has no workflow \`${options.workflow}\`${close === undefined ? "" : `; did you mean \`${close}\`?`}`,
        { hint: known.length === 0 ? "it declares no workflow" : `its workflows: ${known.join(", ")}` },
      );
    }
    chosen = [options.workflow];
  } else if (declared.length === 0) {
    throw new UsageError(`\`${entry.path}\` declares no workflow to draw`, {
      hint: "`flow graph` draws the DAG of a workflow; name a file that declares one",
    });
  }

  const model = graphModel({ ...ir, workflows: ir.workflows.filter((w) => chosen.includes(w.name)) });
  io.out(renderers[options.format](model));
  return exitCodes.ok;
}
