import { styleText } from "node:util";
import type { SourceFile } from "../source-file.ts";
import type { Diagnostic, Label, Severity } from "./diagnostic.ts";

export interface TerminalOptions {
  readonly color: boolean;
}

type Style = Parameters<typeof styleText>[0];

/**
 * Renders diagnostics the way people read them in a terminal: the message
 * with its code, the file position, the source lines with the primary span
 * underlined `^^^` and secondary spans `---`, each with its label, then help.
 *
 *   error[FL0111]: expected `)` to close the argument list
 *     --> migrate.flow:3:14
 *      |
 *    3 |   let x = foo(
 *      |              - the argument list starts here
 *    4 |   let y = 2
 *      |   ^ expected `)` here
 *      |
 *      = help: add `)`, or remove the opening one
 */
export function renderTerminal(diagnostic: Diagnostic, sources: ReadonlyMap<string, SourceFile>, options: TerminalOptions): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text) : text);
  const severityStyle: Record<Severity, Style> = { error: ["red", "bold"], warning: ["yellow", "bold"], note: ["cyan", "bold"] };
  const source = sources.get(diagnostic.primary.span.file);
  const out: string[] = [];
  out.push(`${paint(severityStyle[diagnostic.severity], `${diagnostic.severity}[${diagnostic.code}]`)}${paint("bold", `: ${diagnostic.message}`)}`);

  if (source === undefined) {
    out.push(`  --> ${diagnostic.primary.span.file}`);
  } else {
    const at = source.position(diagnostic.primary.span.start);
    const labels = [{ label: diagnostic.primary, primary: true }, ...diagnostic.secondary.filter((s) => s.span.file === source.path).map((label) => ({ label, primary: false }))];
    const lines = new Map<number, { label: Label; primary: boolean; from: number; to: number }[]>();
    for (const { label, primary } of labels) {
      const start = source.position(label.span.start);
      const end = source.position(label.span.end);
      // A span over several lines is underlined on its first line only.
      const to = end.line === start.line ? end.column : source.lineText(start.line).length + 1;
      const list = lines.get(start.line) ?? [];
      list.push({ label, primary, from: start.column, to: Math.max(to, start.column + 1) });
      lines.set(start.line, list);
    }
    const numbers = [...lines.keys()].sort((a, b) => a - b);
    const gutter = String(numbers[numbers.length - 1] ?? at.line).length;
    const bar = paint(["blue", "bold"], `${" ".repeat(gutter)} |`);
    out.push(`${" ".repeat(gutter)}${paint(["blue", "bold"], "-->")} ${source.path}:${at.line}:${at.column}`);
    out.push(bar);
    let previous: number | undefined;
    for (const line of numbers) {
      if (previous !== undefined && line > previous + 1) {
        if (line === previous + 2) out.push(codeLine(previous + 1, shownPart(source.lineText(previous + 1), [])));
        else out.push(paint(["blue", "bold"], "..."));
      }
      // Primary first, then secondaries left to right, one label per row.
      const marks = lines.get(line)!.sort((a, b) => Number(b.primary) - Number(a.primary) || a.from - b.from);
      const text = source.lineText(line);
      const shown = shownPart(text, marks);
      out.push(codeLine(line, shown));
      for (const mark of marks) {
        // A mark outside the part shown points at the `…` that stands for where it is.
        const before = mark.from - 1 < shown.lo;
        const pad = " ".repeat(before ? 0 : (shown.lo > 0 ? 1 : 0) + visualWidth(text.slice(shown.lo, Math.min(mark.from - 1, shown.hi))));
        const width = Math.max(1, visualWidth(text.slice(Math.max(shown.lo, mark.from - 1), Math.min(shown.hi, mark.to - 1))));
        const underline = (mark.primary ? "^" : "-").repeat(width);
        const style: Style = mark.primary ? severityStyle[diagnostic.severity] : ["blue", "bold"];
        out.push(`${bar} ${pad}${paint(style, `${underline} ${mark.label.label}`)}`);
      }
      previous = line;
    }
    function codeLine(line: number, shown: Shown): string {
      const text = source!.lineText(line);
      const part = `${shown.lo > 0 ? "…" : ""}${text.slice(shown.lo, shown.hi)}${shown.hi < text.length ? "…" : ""}`;
      return `${paint(["blue", "bold"], `${String(line).padStart(gutter)} |`)} ${expandTabs(part)}`.trimEnd();
    }
    if (diagnostic.help !== undefined) {
      out.push(bar);
      out.push(`${" ".repeat(gutter)} ${paint(["blue", "bold"], "=")} ${paint("bold", "help")}: ${diagnostic.help}`);
    }
  }
  const foreign = diagnostic.secondary.filter((s) => s.span.file !== diagnostic.primary.span.file);
  for (const label of foreign) {
    const position = sources.get(label.span.file)?.position(label.span.start);
    out.push(`  ${paint(["blue", "bold"], "note")}: ${label.label} (${label.span.file}${position ? `:${position.line}:${position.column}` : ""})`);
  }
  return out.join("\n");
}

export function renderSummary(errors: number, warnings: number, files: number, options: TerminalOptions): string {
  const paint = (style: Style, text: string) => (options.color ? styleText(style, text) : text);
  const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  if (errors === 0 && warnings === 0) return paint("green", `${counted(files, "file")} checked: no problems`);
  const parts = [errors > 0 ? paint(["red", "bold"], counted(errors, "error")) : "", warnings > 0 ? paint(["yellow", "bold"], counted(warnings, "warning")) : ""].filter(Boolean);
  return `${parts.join(", ")} in ${counted(files, "file")}`;
}

const TAB = "    ";

/** The stretch of a source line shown, as indexes into it: all of it, unless it is too long to read on a terminal. */
interface Shown {
  readonly lo: number;
  readonly hi: number;
}

/** Longer lines (a minified or generated file, a JSON file given by mistake) are shown around their marks, `…` for what is left out. */
const longestShown = 160;

/** The part of a line shown: around its first mark (the primary one, when the line has it). */
function shownPart(text: string, marks: readonly { readonly from: number }[]): Shown {
  if (text.length <= longestShown) return { lo: 0, hi: text.length };
  const first = marks[0];
  const lo = first === undefined ? 0 : Math.max(0, Math.min(first.from - 1 - 40, text.length - longestShown));
  return { lo, hi: Math.min(text.length, lo + longestShown) };
}

function expandTabs(text: string): string {
  return text.replace(/\t/g, TAB);
}

function visualWidth(text: string): number {
  return expandTabs(text).length;
}
