import type { RunRow } from "../../server/api-types.ts";
import type { Api } from "./api-client.ts";
import { ApiFailure } from "./api-client.ts";
import { budgetGauges } from "./budget-gauges.ts";
import { el } from "./element.ts";

/** How often the list is read again: it has no stream of its own (each run has one). */
const everyMs = 2_000;

/** The runs in the store, newest first: status, what each has spent against its ceilings, where it waits, and how long ago it last moved. */
export class RunsList {
  readonly element = el("section", { class: "runs-list", "aria-label": "runs" });
  private timer: number | undefined;

  constructor(private readonly api: Api) {}

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
      this.element.replaceChildren(el("p", { class: "run-said trouble" }, error instanceof ApiFailure ? `${error.message}${error.hint === null ? "" : ` (${error.hint})`}` : String(error)));
      return;
    }
    if (runs.length === 0) {
      this.element.replaceChildren(el("h2", {}, "Runs"), el("p", { class: "muted" }, "No runs in this store yet. Start one: ", el("code", {}, "flow run examples/hello.flow")));
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
        el("td", { class: "muted", title: r.updatedAt }, ago(r.updatedAt)),
        el("td", { class: "num" }, String(r.entries)),
      ),
    );
    this.element.replaceChildren(
      el("h2", {}, "Runs"),
      el("table", { class: "runs" }, el("thead", {}, el("tr", {}, ...["run", "workflow", "status", "spent of budget", "last moved", "entries"].map((h) => el("th", {}, h)))), el("tbody", {}, ...rows)),
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
