import type { RunRow } from "../../server/api-types.ts";
import type { Api } from "./api-client.ts";
import { ApiFailure } from "./api-client.ts";
import { budgetGauges } from "./budget-gauges.ts";
import { el } from "./element.ts";
import { startForm } from "./start-form.ts";

/** How often the list is read again: it has no stream of its own (each run has one). */
const everyMs = 2_000;

/** The runs in the store, newest first: status, what each has spent against its ceilings, where it waits, its age and when it last moved; and a form to start one. */
export class RunsList {
  readonly element: HTMLElement;
  /** Read again every few seconds; the form beside it is left alone, so nothing typed there is lost. */
  private readonly table = el("div", { class: "runs-table" });
  private timer: number | undefined;

  constructor(private readonly api: Api) {
    this.element = el("section", { class: "runs-list", "aria-label": "runs" }, el("h2", {}, "Runs"), startForm(api, (run) => (location.hash = `run=${encodeURIComponent(run)}`)), this.table);
  }

  async open(): Promise<void> {
    await this.read();
    this.timer = window.setInterval(() => void this.read(), everyMs);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<void> {
    let runs: readonly RunRow[];
    try {
      ({ runs } = await this.api.get<{ runs: RunRow[] }>("runs"));
    } catch (error) {
      this.table.replaceChildren(el("p", { class: "run-said trouble" }, error instanceof ApiFailure ? `${error.message}${error.hint === null ? "" : ` (${error.hint})`}` : String(error)));
      return;
    }
    if (runs.length === 0) {
      this.table.replaceChildren(el("p", { class: "muted" }, "No runs in this store yet. Start one above, or: ", el("code", {}, "flow run examples/hello.flow")));
      return;
    }
    const rows = runs.map((r) =>
      el(
        "tr",
        { "data-run": r.run, "data-status": r.status },
        el("td", {}, el("a", { href: `#run=${encodeURIComponent(r.run)}` }, r.run)),
        el("td", {}, r.workflow, el("span", { class: "muted" }, ` (${r.source})`)),
        el("td", {}, el("span", { class: "status-badge", "data-status": r.status }, r.status), Object.keys(r.parked).length > 0 ? el("span", { class: "muted" }, ` at ${Object.values(r.parked).join(", ")}`) : null),
        el("td", { class: "spend" }, r.budget === null ? el("span", { class: "muted" }, "ledger unreadable") : budgetGauges({ spent: r.budget.spent, ceilings: r.budget.ceilings })),
        el("td", { class: "age", title: `started ${r.createdAt}, last moved ${r.updatedAt}` }, ago(r.createdAt), el("br", {}), el("span", { class: "muted" }, `moved ${ago(r.updatedAt)}`)),
        el("td", { class: "num" }, String(r.entries)),
      ),
    );
    this.table.replaceChildren(
      el("table", { class: "runs" }, el("thead", {}, el("tr", {}, ...["run", "workflow", "status", "spent of budget", "age", "entries"].map((h) => el("th", {}, h)))), el("tbody", {}, ...rows)),
    );
  }
}

/** `3 min ago`: for people reading the list, from this browser's clock; nothing is decided by it. */
function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h ago`;
  return `${(seconds / 86_400).toFixed(1)} days ago`;
}
