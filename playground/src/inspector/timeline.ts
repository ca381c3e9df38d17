import type { Entry } from "../../server/api-types.ts";
import { el } from "./element.ts";
import { entryLine } from "./entry-line.ts";

/** The rows kept on the page: a thirty-hour run has millions of entries, and `flow export` has them all. */
export const keptRows = 600;

/**
 * The run's latest entries and those recorded while the page is open,
 * newest at the bottom, following the end unless the reader has scrolled
 * up. A row about a vertex instance selects it in the inspector.
 */
export class Timeline {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;

  constructor(private readonly select: (instance: string) => void) {
    this.list = el("ol", { class: "timeline-rows" });
    this.element = el("section", { class: "timeline", "aria-label": "timeline" }, el("h3", {}, "Timeline"), this.list);
  }

  append(entries: readonly Entry[]): void {
    const following = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 8;
    for (const entry of entries) {
      const { subject, text } = entryLine(entry);
      const row = el(
        "li",
        { "data-kind": entry.kind, "data-seq": String(entry.seq) },
        el("span", { class: "seq" }, String(entry.seq)),
        el("time", { datetime: new Date(entry.at).toISOString() }, new Date(entry.at).toISOString().slice(11, 23)),
        el("span", { class: "kind" }, entry.kind),
        el("span", { class: "subject" }, subject),
        el("span", { class: "text", title: text }, text),
      );
      if ("vertex" in entry) {
        row.classList.add("selectable");
        row.addEventListener("click", () => this.select(entry.vertex));
      }
      this.list.append(row);
    }
    while (this.list.childElementCount > keptRows) this.list.firstElementChild?.remove();
    if (following) this.list.scrollTop = this.list.scrollHeight;
  }
}
