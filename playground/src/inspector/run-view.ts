import type { WorkflowModel } from "../../../cli/graph/graph-model.ts";
import type { ChangeOutcome, Entry, ReplayVerdict, RunGates, RunGraph, RunSummary, VertexDetail } from "../../server/api-types.ts";
import { layeredLayout } from "../graph/layered-layout.ts";
import { nodeStates } from "../graph/node-states.ts";
import { paintStates } from "../graph/paint-states.ts";
import { renderGraph } from "../graph/render-svg.ts";
import { type Api, ApiFailure } from "./api-client.ts";
import { budgetGauges } from "./budget-gauges.ts";
import { el } from "./element.ts";
import { GateCards } from "./gate-cards.ts";
import { jsonLine } from "./json-view.ts";
import { keptRows, Timeline } from "./timeline.ts";
import { vertexPanel } from "./vertex-panel.ts";

const ended = new Set(["completed", "failed", "cancelled"]);

/** The entries that change what the run waits at or what was decided there: only a burst with one of them reads the gates again (the server reads the whole ledger for them). */
const gateKinds: ReadonlySet<Entry["kind"]> = new Set(["run.parked", "timer.set", "gate.decided", "gate.defaulted", "signal.received", "run.cancelled"]);

/**
 * One run, live: its DAG coloured by where each vertex stands, the budget
 * it has spent, the gates it waits at, the vertex chosen, and the
 * timeline of its entries. The event stream says when something was
 * recorded; each burst re-reads the run's summary and graph, and its
 * gates when the burst touched one (the server folds the ledger, so the
 * page never computes a run's state of its own), and repaints what
 * changed.
 */
export class RunView {
  readonly element: HTMLElement;
  private readonly path: string;
  private readonly head = el("header", { class: "run-head" });
  private readonly said = el("p", { class: "run-said", role: "status" });
  private readonly gauges = el("div", { class: "run-gauges" });
  private readonly dag = el("div", { class: "run-dag" });
  private readonly gates: GateCards;
  private readonly vertex = el("div", { class: "run-vertex" });
  private readonly timeline: Timeline;
  private svg: SVGSVGElement | null = null;
  private graph: RunGraph | null = null;
  private summary: RunSummary | null = null;
  private selected: string | null = null;
  private replay: ReplayVerdict | "running" | null = null;
  private refreshing = false;
  /** The gates as last read, and whether an entry since may have changed them. */
  private lastGates: RunGates | null = null;
  private gatesStale = true;
  private again = false;
  private closeStream: (() => void) | null = null;
  private closed = false;
  /** The vertex detail on screen, as the API gave it. */
  private shownDetail = "";

  constructor(
    private readonly api: Api,
    private readonly run: string,
  ) {
    this.path = `runs/${encodeURIComponent(run)}`;
    this.timeline = new Timeline((instance) => void this.select(instance));
    this.gates = new GateCards({ decide: (decision, body) => this.change(`${this.path}/${decision}`, body), signal: (body) => this.change(`${this.path}/signal`, body) });
    this.element = el(
      "section",
      { class: "run-view", "data-run": run },
      this.head,
      this.said,
      el("div", { class: "run-body" }, el("div", { class: "run-main" }, this.gauges, this.dag, this.timeline.element), el("aside", { class: "run-side" }, this.gates.element, this.vertex)),
    );
    this.dag.addEventListener("click", (event) => {
      const node = (event.target as Element).closest<SVGGElement>("g[data-node]")?.dataset.node;
      if (node !== undefined) void this.selectNode(node);
    });
  }

  async open(): Promise<void> {
    await this.refresh();
    // A run not in the store yet (its id was just printed, or mistyped) is looked for again until it is there, or the page leaves.
    while (this.summary === null && !this.closed) {
      await new Promise((done) => setTimeout(done, 1_000));
      await this.refresh();
    }
    if (this.closed) return;
    // The stream starts where the timeline's rows do: a thirty-hour run's million entries are not sent to show its last few hundred.
    const after = this.summary!.entries - 1 - keptRows;
    this.closeStream = this.api.events(
      this.run,
      after < 0 ? null : after,
      (entries) => this.recorded(entries),
      (trouble) => this.say(trouble ?? "", trouble === null ? "" : "trouble"),
    );
  }

  close(): void {
    this.closed = true;
    this.closeStream?.();
  }

  /** The token changed: the gate cards say whether one is needed. */
  tokenChanged(): void {
    void this.refresh();
  }

  private recorded(entries: readonly Entry[]): void {
    if (entries.some((e) => gateKinds.has(e.kind))) this.gatesStale = true;
    this.timeline.append(entries);
    this.element.dataset.head = String(entries.at(-1)?.seq ?? "");
    void this.refresh();
  }

  /** Reads the run again; a call while one is under way makes that one read once more when it is done, so no burst is missed and none read twice at once. */
  private async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.again = false;
        const readGates = this.gatesStale || this.lastGates === null;
        this.gatesStale = false;
        const [summary, graph, gates] = await Promise.all([
          this.api.get<RunSummary>(this.path),
          this.api.get<RunGraph>(`${this.path}/graph`),
          readGates ? this.api.get<RunGates>(`${this.path}/gates`) : Promise.resolve(this.lastGates!),
        ]);
        this.lastGates = gates;
        this.show(summary, graph, gates);
        if (this.selected !== null) await this.showVertex(this.selected);
      } while (this.again);
    } catch (error) {
      // What failed to be read is read again next time.
      this.gatesStale = true;
      this.say(describe(error), "trouble");
    } finally {
      this.refreshing = false;
    }
  }

  private show(summary: RunSummary, graph: RunGraph, gates: RunGates): void {
    const wasEnded = this.summary !== null && ended.has(this.summary.status);
    this.summary = summary;
    if (this.graph === null) {
      this.graph = graph;
      this.svg = renderGraph(layeredLayout(workflowModel(graph)));
      this.dag.replaceChildren(el("p", { class: "workflow-label" }, graph.label), this.svg);
    }
    this.graph = graph;
    paintStates(this.svg!, nodeStates(graph.nodes, graph.edges, graph.body, graph));
    this.gauges.replaceChildren(budgetGauges(summary));
    this.gates.update(gates, this.api.token !== null);
    this.element.dataset.status = summary.status;
    // A run that has ended is checked once by replaying it on the server; the button checks again at any time.
    if (ended.has(summary.status) && !wasEnded && this.replay === null) void this.verifyReplay();
    this.drawHead();
  }

  private drawHead(): void {
    const summary = this.summary!;
    const replay = el("button", { type: "button", class: "replay-button", title: "replay the whole ledger on the server and compare it byte for byte" }, "Verify replay");
    replay.addEventListener("click", () => void this.verifyReplay());
    const controls = controlsFor(summary).map((action) => {
      const button = el("button", { type: "button", class: `control control-${action}` }, action[0]!.toUpperCase() + action.slice(1));
      button.addEventListener("click", () => void this.change(`${this.path}/${action}`, {}).then((outcome) => this.say(outcome.said, "done"), (error: unknown) => this.say(describe(error), "trouble")));
      return button;
    });
    const lines = [
      el("h2", {}, el("a", { href: "#" }, "runs"), " / ", summary.run),
      el("span", { class: "status-badge", "data-status": summary.status }, summary.status),
      el("span", { class: "muted" }, `${summary.workflow} · ${summary.entries} entries · started ${summary.startedAt.replace("T", " ").slice(0, 19)} UTC${summary.driver === null ? "" : ` · driven by ${summary.driver.owner}`}`),
      replayBadge(this.replay),
      replay,
      ...controls,
      summary.status === "completed" ? el("p", { class: "run-result" }, "result: ", el("code", {}, jsonLine(summary.result, 200))) : null,
      summary.failures.length > 0 ? el("p", { class: "run-failures" }, summary.failures.map((f) => `${f.at}: ${f.failure.kind}: ${f.failure.message}`).join("; ")) : null,
    ];
    this.head.replaceChildren(...lines.filter((line) => line !== null));
  }

  private async verifyReplay(): Promise<void> {
    this.replay = "running";
    this.drawHead();
    try {
      this.replay = await this.api.post<ReplayVerdict>(`${this.path}/replay`);
    } catch (error) {
      this.replay = null;
      this.say(describe(error), "trouble");
    }
    this.drawHead();
  }

  private async change(path: string, body: unknown): Promise<ChangeOutcome> {
    const outcome = await this.api.post<ChangeOutcome>(path, body);
    void this.refresh();
    return outcome;
  }

  private async selectNode(node: string): Promise<void> {
    const graph = this.graph;
    const found = graph?.nodes.find((n) => n.id === node);
    if (graph === null || found === undefined) return;
    const vertexNode = found.kind === "gate" ? graph.nodes.find((n) => n.id === found.vertex) : found;
    if (vertexNode?.kind !== "vertex") return;
    const instances = graph.instances[vertexNode.vertex] ?? [];
    // The instance that needs looking at: a failed one, else a running one, else the first.
    const pick = instances.find((i) => i.status === "failed") ?? instances.find((i) => i.status === "running") ?? instances[0];
    if (pick === undefined) {
      this.selected = null;
      this.shownDetail = "";
      this.vertex.replaceChildren(el("section", { class: "vertex-panel" }, el("h3", {}, found.label), el("p", { class: "muted" }, "The run has not reached it yet.")));
      return;
    }
    await this.select(pick.instance);
  }

  private async select(instance: string): Promise<void> {
    this.selected = instance;
    try {
      await this.showVertex(instance);
    } catch (error) {
      this.say(describe(error), "trouble");
    }
  }

  private async showVertex(instance: string): Promise<void> {
    const detail = await this.api.get<VertexDetail>(`${this.path}/vertices/${encodeURIComponent(instance)}`);
    if (this.selected !== instance) return;
    // Drawn again only when it changed: a step's output the reader opened stays open while the rest of the run moves on.
    const drawn = JSON.stringify(detail);
    if (drawn === this.shownDetail) return;
    this.shownDetail = drawn;
    const vertexId = instance.split("[")[0]!;
    const siblings = (this.graph?.instances[vertexId] ?? []).map((i) => i.instance);
    this.vertex.replaceChildren(vertexPanel(detail, siblings, (other) => void this.select(other)));
    for (const g of this.svg?.querySelectorAll<SVGGElement>("g[data-node]") ?? []) {
      const node = this.graph?.nodes.find((n) => n.id === g.dataset.node);
      g.classList.toggle("selected", node?.kind === "vertex" && node.vertex === vertexId);
    }
  }

  private say(text: string, kind: "" | "done" | "trouble"): void {
    this.said.textContent = text;
    this.said.className = `run-said ${kind}`;
  }
}

/**
 * What a person can do to the run where it stands: pause one that runs or
 * waits, resume one paused, aborted by its budget, or left by a process
 * that died (interrupted, or still running with no driver), cancel any
 * that has not ended.
 */
function controlsFor(summary: RunSummary): ("pause" | "resume" | "cancel")[] {
  switch (summary.status) {
    case "completed":
    case "failed":
    case "cancelled":
      return [];
    case "paused":
    case "aborted":
    case "interrupted":
      return ["resume", "cancel"];
    case "parked":
      return ["pause", "cancel"];
    case "running":
      return summary.driver === null ? ["resume", "cancel"] : ["pause", "cancel"];
  }
}

/** `flow graph`'s model of the workflow, as the layout takes it: the API sends the node map as a list. */
function workflowModel(graph: RunGraph): WorkflowModel {
  return {
    name: graph.workflow,
    label: graph.label,
    nodes: new Map(graph.nodes.map((n) => [n.id, n])),
    params: graph.params,
    body: graph.body,
    edges: graph.edges,
    worst: graph.worst,
    budget: graph.budget,
    verdicts: graph.verdicts,
  };
}

function replayBadge(replay: ReplayVerdict | "running" | null): HTMLElement {
  if (replay === null) return el("span", { class: "replay-badge", "data-verdict": "unchecked" }, "replay not checked yet");
  if (replay === "running") return el("span", { class: "replay-badge", "data-verdict": "running" }, "replaying…");
  switch (replay.kind) {
    case "identical":
      return el("span", { class: "replay-badge", "data-verdict": "identical", title: `head ${replay.head}` }, `✓ replays byte for byte (${replay.entries} entries)`);
    case "diverged":
      return el("span", { class: "replay-badge", "data-verdict": "diverged", title: replay.reason }, `✗ replay diverges at entry ${replay.seq}`);
    case "tampered":
      return el("span", { class: "replay-badge", "data-verdict": "tampered", title: replay.reason }, `✗ ledger broken at entry ${replay.seq}`);
    case "invalid":
      return el("span", { class: "replay-badge", "data-verdict": "invalid", title: replay.reason }, `✗ ledger unreadable at entry ${replay.seq}`);
  }
}

function describe(error: unknown): string {
  return error instanceof ApiFailure ? `${error.message}${error.hint === null ? "" : ` (${error.hint})`}` : String(error);
}
