import { editor } from "./editor/monaco.ts";
import { flowLanguageId, registerFlowLanguage } from "./editor/flow-language.ts";
import { registerFormatter } from "./editor/format-provider.ts";
import { defineFlowTheme, flowThemeId } from "./editor/flow-theme.ts";
import { registerHoverTypes } from "./editor/hover-types.ts";
import { showMarkers } from "./editor/markers.ts";
import { CompilerClient } from "./compiler-client.ts";
import { exampleFiles, openableExamples } from "./examples/bundled-examples.ts";
import { PlanView } from "./panels/plan-view.ts";
import { renderProblems } from "./panels/problems-list.ts";
import type { Analysis, HoverType } from "./protocol.ts";
import { decodeFragment, encodeFragment } from "./share/url-fragment.ts";
import { SimulatePanel } from "./simulate/simulate-panel.ts";

/**
 * The playground's page: the editor on the left, the plan of the current
 * workflow on the right. Every edit goes to the compiler's worker; what
 * comes back becomes markers, hover types, the problems list, the DAG and
 * the cost table. The source is written into the URL's fragment as it
 * changes, so the address bar is always a link to what is on screen.
 * Simulate runs the workflow shown in the worker, in a simulated world
 * (simulate/), and paints the DAG as it goes.
 */

/** Imports in the editor's file resolve as if it sat in examples/ (`./shared/releases.flow`). */
const entryPath = "examples/playground.flow";
const firstExample = "examples/hello.flow";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $("status");
let hovers: readonly HoverType[] = [];
let firstAnalysis = true;

registerFlowLanguage();
defineFlowTheme();
const model = editor.createModel(await initialSource(), flowLanguageId);
const view = editor.create($("editor"), {
  model,
  theme: flowThemeId,
  automaticLayout: true,
  minimap: { enabled: false },
  fontSize: 13,
  tabSize: 2,
  scrollBeyondLastLine: false,
  renderWhitespace: "none",
  fixedOverflowWidgets: true,
  // A squiggle's hover should come quickly: the code and message are the point of the playground.
  hover: { delay: 250 },
});
const plan = new PlanView($("plan-root"));
const client = new CompilerClient(applyAnalysis, (message) => {
  status.textContent = `the compiler crashed: ${message.split("\n")[0]}`;
  status.className = "has-errors";
});
const simulate = new SimulatePanel($("simulate"), client, () => ({ path: entryPath, text: model.getValue() }));
registerHoverTypes(() => hovers);
registerFormatter(client, () => entryPath, (reason) => (status.textContent = reason));

client.analyse(entryPath, model.getValue(), model.getVersionId());
let fragmentTimer: ReturnType<typeof setTimeout> | undefined;
model.onDidChangeContent(() => {
  client.analyse(entryPath, model.getValue(), model.getVersionId());
  simulate.sourceChanged();
  // The address bar follows the text, a little behind it: rewriting it on every key would be wasted work.
  clearTimeout(fragmentTimer);
  fragmentTimer = setTimeout(() => void writeFragment(), 250);
});

// The plan on the right follows the cursor into a workflow's declaration.
view.onDidChangeCursorPosition((event) => plan.follow(event.position.lineNumber));

const picker = $<HTMLSelectElement>("examples");
picker.append(new Option("open an example…", ""), ...openableExamples.map((path) => new Option(path.replace(/^examples\//, ""), path)));
picker.addEventListener("change", () => {
  const text = exampleFiles.get(picker.value);
  if (text !== undefined) model.setValue(text);
  picker.value = "";
});
$("format").addEventListener("click", () => void view.getAction("editor.action.formatDocument")?.run());
$("share").addEventListener("click", async () => {
  await writeFragment();
  await navigator.clipboard?.writeText(location.href).catch(() => undefined);
  status.textContent = "link copied: it holds the whole source";
});
window.addEventListener("hashchange", async () => {
  const text = await decodeFragment(location.hash);
  if (text !== undefined && text !== model.getValue()) model.setValue(text);
});

function applyAnalysis(analysis: Analysis): void {
  if (analysis.version !== model.getVersionId()) return;
  hovers = analysis.hovers;
  showMarkers(model, analysis.diagnostics);
  renderProblems($("problems"), analysis.diagnostics, (d) => {
    view.setPosition({ lineNumber: d.range.startLine, column: d.range.startColumn });
    view.revealLineInCenter(d.range.startLine);
    view.focus();
  });
  plan.show(analysis.workflows);
  const errors = analysis.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = analysis.diagnostics.filter((d) => d.severity === "warning").length;
  status.textContent = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"} · checked in ${analysis.millis} ms`;
  status.className = errors > 0 ? "has-errors" : "";
  document.body.dataset.version = String(analysis.version);
  if (firstAnalysis) {
    firstAnalysis = false;
    // Time to interactive, as the browser tests measure it: the editor is up and the first diagnostics are shown.
    performance.mark("flow-playground-ready");
    document.body.dataset.state = "ready";
  }
}

async function initialSource(): Promise<string> {
  return (await decodeFragment(location.hash)) ?? exampleFiles.get(firstExample) ?? "";
}

async function writeFragment(): Promise<void> {
  const fragment = await encodeFragment(model.getValue());
  if (fragment !== location.hash) history.replaceState(null, "", fragment);
}
