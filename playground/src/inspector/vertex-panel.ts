import type { Json, StepView, VertexDetail } from "../../server/api-types.ts";
import { el } from "./element.ts";
import { jsonLine, jsonView } from "./json-view.ts";

/**
 * One vertex instance, as `GET /api/runs/:id/vertices/:instance` gives
 * it: status and attempt, inputs and output (or the failure), the sandbox
 * each attempt ran in with what it allowed, every step with its output,
 * the model calls with tokens, dollars and the models tried, retries with
 * their reasons, checkpoints, and what it spent.
 */
export function vertexPanel(detail: VertexDetail, siblings: readonly string[], choose: (instance: string) => void): HTMLElement {
  const sandbox = detail.starts.at(-1)?.sandbox ?? null;
  const spend = detail.spend;
  return el(
    "section",
    { class: "vertex-panel", "aria-label": "vertex", "data-instance": detail.instance, "data-status": detail.status },
    el("h3", {}, detail.instance, " ", el("span", { class: `status-badge`, "data-status": detail.status }, detail.status), el("span", { class: "muted" }, ` attempt ${detail.attempt}`)),
    siblings.length > 1 ? instancePicker(detail.instance, siblings, choose) : null,
    field("inputs", jsonView(detail.inputs as Json)),
    detail.status === "completed" ? field("output", jsonView(detail.output)) : null,
    detail.failure === null ? null : field("failure", el("pre", { class: "json failure" }, `${detail.failure.kind}: ${detail.failure.message}`)),
    detail.skippedBecause === null ? null : field("skipped", el("p", {}, `because ${detail.skippedBecause} failed`)),
    sandbox === null
      ? null
      : field("sandbox", el("p", { class: "sandbox" }, `${sandbox.driver} (isolation: ${sandbox.isolation}) · profile ${sandbox.profile} · allows ${sandbox.effects.length === 0 ? "no effects" : sandbox.effects.join(", ")}`)),
    detail.steps.length === 0 ? null : field(`steps (${detail.steps.length})`, steps(detail.steps)),
    detail.modelCalls.length === 0
      ? null
      : field(
          `model calls (${detail.modelCalls.length})`,
          table(
            ["attempt", "turn", "model", "tried first", "tokens", "usd"],
            detail.modelCalls.map((m) => [
              String(m.attempt),
              jsonLine(m.turn),
              m.model ?? (m.failure === null ? "none" : `${m.failure.kind}: ${m.failure.message}`),
              m.tried.map((t) => jsonLine(t, 60)).join("; "),
              String(m.tokens),
              `$${m.usd.toFixed(4)}`,
            ]),
          ),
        ),
    detail.retries.length === 0 ? null : field("retries", table(["attempt", "because", "after"], detail.retries.map((r) => [String(r.attempt), `${r.reason.kind}: ${r.reason.message}`, `${r.delay} ms`]))),
    detail.checkpoints.length === 0 ? null : field("checkpoints", table(["attempt", "label", "after steps", "entry"], detail.checkpoints.map((c) => [String(c.attempt), c.label, String(c.steps), String(c.seq)]))),
    spend === null
      ? null
      : field("spent", el("p", {}, `${spend.attempts} attempt${spend.attempts === 1 ? "" : "s"} · compute ${spend.compute} ms · wall ${spend.wall} ms${spend.tokens > 0 ? ` · ${spend.tokens} tokens · $${spend.usd.toFixed(4)}` : ""}`)),
  );
}

function instancePicker(current: string, siblings: readonly string[], choose: (instance: string) => void): HTMLElement {
  const select = el("select", { "aria-label": "instance" });
  for (const instance of siblings) select.append(new Option(instance, instance, false, instance === current));
  select.addEventListener("change", () => choose(select.value));
  return el("label", { class: "instance-picker" }, `${siblings.length} instances: `, select);
}

function steps(list: readonly StepView[]): HTMLElement {
  return el(
    "ol",
    { class: "steps" },
    ...list.map((s) =>
      el(
        "li",
        { "data-outcome": s.outcome },
        el("details", {}, el("summary", {}, `#${s.index} ${s.op}(${jsonLine(s.args as Json, 60)}) · attempt ${s.attempt} · ${s.compute} ms${s.outcome === "failed" ? ` · ${s.failure.kind}` : ""}`), s.outcome === "completed" ? jsonView(s.result) : el("pre", { class: "json failure" }, `${s.failure.kind}: ${s.failure.message}`)),
      ),
    ),
  );
}

/** A labelled part of the panel; `data-field` is the label's first word (`steps (3)` is `steps`). */
function field(label: string, content: HTMLElement): HTMLElement {
  return el("div", { class: "field", "data-field": label.split(" ")[0]! }, el("h4", {}, label), content);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): HTMLElement {
  return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
}
