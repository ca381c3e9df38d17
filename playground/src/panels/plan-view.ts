import type { WorkflowView } from "../protocol.ts";
import { renderGraph } from "../graph/render-svg.ts";
import { renderCostTable } from "./cost-table-view.ts";

/**
 * The right-hand side: a button per workflow the file declares, and the
 * chosen one's DAG and cost table. A program with errors has no plan; the
 * last one is kept, dimmed, so the picture does not flicker while typing.
 */
export class PlanView {
  private chosen: string | undefined;
  private shown: readonly WorkflowView[] = [];

  constructor(private readonly root: HTMLElement) {}

  show(workflows: readonly WorkflowView[] | undefined): void {
    const stale = workflows === undefined;
    this.root.classList.toggle("stale", stale);
    this.root.querySelector<HTMLElement>("#stale")!.hidden = !stale || this.shown.length === 0;
    if (stale) return;
    this.shown = workflows;
    // The workflow shown stays chosen across edits while it exists; else the last one, the file's main workflow by convention.
    if (this.chosen === undefined || !workflows.some((w) => w.name === this.chosen)) this.chosen = workflows[workflows.length - 1]?.name;
    this.draw();
  }

  /** Shows the plan of the workflow declared around `line`, if it is not shown already. */
  follow(line: number): void {
    const around = this.shown.find((w) => w.lines.first <= line && line <= w.lines.last);
    if (around === undefined || around.name === this.chosen || this.root.classList.contains("stale")) return;
    this.chosen = around.name;
    this.draw();
  }

  private draw(): void {
    const nav = this.root.querySelector<HTMLElement>("#workflows")!;
    const dag = this.root.querySelector<HTMLElement>("#dag")!;
    const costs = this.root.querySelector<HTMLElement>("#costs")!;
    nav.replaceChildren(
      ...this.shown.map((w) => {
        const button = Object.assign(document.createElement("button"), { type: "button", textContent: w.name });
        button.setAttribute("aria-pressed", String(w.name === this.chosen));
        button.addEventListener("click", () => {
          this.chosen = w.name;
          this.draw();
        });
        return button;
      }),
    );
    const workflow = this.shown.find((w) => w.name === this.chosen);
    if (workflow === undefined) {
      dag.replaceChildren(Object.assign(document.createElement("p"), { textContent: "This file declares no workflow." }));
      costs.replaceChildren();
      return;
    }
    dag.replaceChildren(Object.assign(document.createElement("p"), { className: "workflow-label", textContent: workflow.label }), renderGraph(workflow.graph));
    costs.replaceChildren(renderCostTable(workflow.costs));
  }
}
