import type { CompilerClient } from "../compiler-client.ts";
import { paintStates } from "../graph/paint-states.ts";
import type { SimulationAnswer, SimulationFrame, SimulationWait } from "../protocol.ts";

/** Wall ms between simulated events at each speed: only the animation's pace, never the run's. */
const speeds: readonly (readonly [string, number])[] = [
  ["slow", 900],
  ["normal", 350],
  ["fast", 80],
  ["instant", 0],
];

/**
 * The Simulate button and what it shows: the chosen workflow runs in the
 * compiler's worker (simulate/simulation-session.ts) and each frame paints
 * the DAG's nodes by state, counts a fan-out's items, lists where the run
 * waits with a choice for each (approve or reject a gate, send a made-up
 * signal, let a timeout pass), the spend against the budget, and the
 * result or the failures at the end. Editing the source stops it: what it
 * shows is of the source as it was.
 */
export class SimulatePanel {
  private last: SimulationFrame | null = null;
  private active = false;
  private readonly $ = <T extends HTMLElement>(selector: string) => this.root.querySelector<T>(selector)!;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: CompilerClient,
    private readonly source: () => { readonly path: string; readonly text: string },
  ) {
    const speed = this.$<HTMLSelectElement>("#simulate-speed");
    speed.append(...speeds.map(([name, ms]) => new Option(name, String(ms), name === "normal", name === "normal")));
    speed.addEventListener("change", () => client.paceSimulation(this.pace()));
    this.$("#simulate-run").addEventListener("click", () => this.start());
    this.$("#simulate-stop").addEventListener("click", () => client.stopSimulation());
    client.onSimulation = (frame) => this.show(frame);
    // The plan is drawn anew on every analysis and every choice of workflow: the run's colours go back on.
    new MutationObserver(() => this.repaint()).observe(this.dag(), { childList: true });
  }

  /** The source changed: a simulation of the old one is stopped, and its picture left as it was. */
  sourceChanged(): void {
    if (!this.active) return;
    this.client.stopSimulation();
  }

  private start(): void {
    const workflow = this.chosen();
    if (workflow === undefined) return;
    const { path, text } = this.source();
    this.last = null;
    this.active = true;
    this.client.simulate(path, text, workflow, this.pace());
    this.$("#simulate-status").textContent = `simulating ${workflow}…`;
    this.root.dataset.status = "starting";
  }

  private show(frame: SimulationFrame): void {
    this.last = frame;
    this.active = frame.status === "running" || frame.status === "waiting";
    this.root.dataset.status = frame.status;
    this.$("#simulate-stop").hidden = !this.active;
    this.$("#simulate-note").hidden = false;
    const head =
      frame.status === "refused"
        ? `cannot simulate ${frame.workflow}`
        : `${frame.run} · ${frame.entries} entries · ${frame.elapsed} simulated · ${statusText(frame)}`;
    this.$("#simulate-status").textContent = head;
    this.$("#simulate-waits").replaceChildren(...frame.waiting.map((w) => this.waitView(w)));
    this.$("#simulate-spend").replaceChildren(
      ...frame.spend.map((s) => {
        const item = document.createElement("li");
        item.append(`${s.unit} ${s.spent}${s.ceiling === null ? "" : ` of ${s.ceiling}`}`);
        if (s.share !== null)
          item.append(
            Object.assign(document.createElement("meter"), {
              min: 0,
              max: 1,
              low: 0.7,
              high: 0.9,
              optimum: 0,
              value: Math.min(1, s.share),
            }),
          );
        return item;
      }),
    );
    const outcome = this.$("#simulate-outcome");
    outcome.hidden = frame.outcome === null;
    outcome.textContent = frame.outcome ?? "";
    outcome.className = frame.status === "completed" ? "completed" : "failed";
    this.repaint();
  }

  private waitView(w: SimulationWait): HTMLElement {
    const view = Object.assign(document.createElement("div"), { className: "wait" });
    view.dataset.instance = w.instance;
    view.append(
      Object.assign(document.createElement("p"), {
        textContent: `waiting for ${w.waitingFor}${w.timeout === null ? "" : ` (timeout in ${w.timeout})`}`,
      }),
    );
    if (w.show !== null) view.append(Object.assign(document.createElement("pre"), { textContent: w.show }));
    const button = (label: string, answer: SimulationAnswer, name: string) => {
      const b = Object.assign(document.createElement("button"), { type: "button", textContent: label });
      b.dataset.answer = name;
      b.addEventListener("click", () => this.client.answerSimulation(answer));
      return b;
    };
    if (w.kind === "approval") {
      view.append(
        button("Approve", { kind: "decide", instance: w.instance, decision: "approve" }, "approve"),
        button("Reject", { kind: "decide", instance: w.instance, decision: "reject" }, "reject"),
      );
    } else {
      view.append(button("Send a made-up signal", { kind: "signal", instance: w.instance }, "signal"));
    }
    if (w.timeout !== null) view.append(button(`Let the ${w.timeout} pass`, { kind: "lapse", instance: w.instance }, "lapse"));
    return view;
  }

  /** Paints the last frame's states on the DAG, if it is of the workflow shown. */
  private repaint(): void {
    const svg = this.dag().querySelector<SVGSVGElement>("svg.dag");
    if (svg === null || this.last === null || this.last.status === "refused" || this.last.workflow !== this.chosen()) return;
    paintStates(svg, new Map(this.last.states));
  }

  private dag(): HTMLElement {
    return document.getElementById("dag")!;
  }

  /** The workflow whose plan is shown (plan-view.ts presses its button). */
  private chosen(): string | undefined {
    return document.querySelector<HTMLButtonElement>("#workflows button[aria-pressed=true]")?.textContent ?? undefined;
  }

  private pace(): number {
    return Number(this.$<HTMLSelectElement>("#simulate-speed").value);
  }
}

function statusText(frame: SimulationFrame): string {
  switch (frame.status) {
    case "running":
      return "running";
    case "waiting":
      return "waiting for you";
    case "completed":
      return "completed";
    case "failed":
      return "failed";
    case "aborted":
      return "stopped by its budget";
    case "stopped":
      return "stopped";
    case "refused":
      return "refused";
  }
}
