import type { ChangeOutcome, DecideRequest, OpenWait, RunGates, SignalRequest } from "../../server/api-types.ts";
import { ApiFailure } from "./api-client.ts";
import { el } from "./element.ts";
import { jsonView } from "./json-view.ts";

/** What a card asks the server for, through the page's API client. */
export interface GateActions {
  decide(decision: "approve" | "reject", body: DecideRequest): Promise<ChangeOutcome>;
  signal(body: SignalRequest): Promise<ChangeOutcome>;
}

/**
 * The gates and signals the run waits at, each a card with what it shows
 * and the buttons that answer it, and below them the decisions taken, with
 * who signed each. A decision is signed by the server's key and
 * attributed to the token's holder; the card says what the server
 * answered, or why it refused, in its own words. A card stays as it is
 * while its wait is open, however often the run is read again: what the
 * user is typing into it is never wiped.
 */
export class GateCards {
  readonly element = el("section", { class: "gates", "aria-label": "gates" });
  private readonly cards = new Map<string, HTMLElement>();

  constructor(private readonly actions: GateActions) {}

  update(gates: RunGates, hasToken: boolean): void {
    const open = new Set(gates.open.map((w) => w.instance));
    for (const [instance, card] of this.cards) {
      if (open.has(instance)) continue;
      card.remove();
      this.cards.delete(instance);
    }
    for (const wait of gates.open) {
      if (!this.cards.has(wait.instance)) this.cards.set(wait.instance, wait.kind === "approval" ? approvalCard(wait, this.actions) : signalCard(wait, this.actions));
    }
    for (const card of this.cards.values()) card.querySelector<HTMLElement>(".needs-token")!.hidden = hasToken;
    const decided = gates.decided.map((d) =>
      el(
        "li",
        { class: `decided decided-${d.decision}`, "data-instance": d.instance },
        el("strong", {}, d.decision === "approve" ? "approved" : "rejected"),
        ` at ${d.instance} `,
        d.by === null ? el("span", { class: "muted" }, "by its timeout's default") : el("span", { class: "signer", title: `signed with the key ${d.by.key}` }, `by ${d.by.name} (key ${d.by.key.slice(0, 12)}…)`),
        d.comment ? el("q", {}, d.comment) : null,
        el("span", { class: "muted" }, ` · entry ${d.seq}`),
      ),
    );
    this.element.replaceChildren(
      el("h3", {}, "Gates"),
      ...(this.cards.size > 0 ? this.cards.values() : [el("p", { class: "muted" }, "The run waits at no gate.")]),
      decided.length > 0 ? el("ol", { class: "decided-list" }, ...decided) : "",
    );
  }
}

function approvalCard(wait: OpenWait, actions: GateActions): HTMLElement {
  const comment = el("input", { type: "text", class: "comment", placeholder: "comment (optional)", "aria-label": "comment" });
  const approve = el("button", { type: "button", class: "approve" }, "Approve");
  const reject = el("button", { type: "button", class: "reject" }, "Reject");
  const said = el("p", { class: "said", role: "status" });
  const card = waitCard(wait, said, el("div", { class: "gate-actions" }, comment, approve, reject));
  for (const [button, decision] of [
    [approve, "approve"],
    [reject, "reject"],
  ] as const) {
    button.addEventListener("click", () => void act(card, said, () => actions.decide(decision, { gate: wait.instance, comment: comment.value.trim() === "" ? null : comment.value.trim() })));
  }
  return card;
}

function signalCard(wait: OpenWait, actions: GateActions): HTMLElement {
  const data = el("textarea", { class: "signal-data", rows: "3", "aria-label": "signal data (JSON)", placeholder: '{"verdict": "approve", "notes": "…"}' });
  const send = el("button", { type: "button", class: "approve" }, "Send signal");
  const said = el("p", { class: "said", role: "status" });
  const card = waitCard(wait, said, el("div", { class: "gate-actions" }, data, send));
  send.addEventListener("click", () => {
    let value: unknown;
    try {
      value = JSON.parse(data.value);
    } catch (error) {
      said.textContent = `the data is not JSON: ${(error as Error).message}`;
      said.className = "said refused";
      return;
    }
    void act(card, said, () => actions.signal({ name: wait.name, data: value as SignalRequest["data"] }));
  });
  return card;
}

function waitCard(wait: OpenWait, said: HTMLElement, controls: HTMLElement): HTMLElement {
  return el(
    "article",
    { class: "gate-card", "data-instance": wait.instance },
    el("header", {}, el("strong", {}, wait.waitingFor), el("span", { class: "muted" }, ` at ${wait.instance}`)),
    wait.show === null ? null : el("div", { class: "gate-show" }, el("span", { class: "muted" }, "it shows:"), jsonView(wait.show)),
    wait.timeoutAt === null ? null : el("p", { class: "muted" }, `times out at ${wait.timeoutAt.replace("T", " ").slice(0, 19)} UTC`),
    controls,
    el("p", { class: "muted needs-token" }, "Deciding needs the token `flow serve` printed: paste it above."),
    said,
  );
}

async function act(card: HTMLElement, said: HTMLElement, request: () => Promise<ChangeOutcome>): Promise<void> {
  const buttons = [...card.querySelectorAll("button")];
  for (const b of buttons) b.disabled = true;
  said.className = "said";
  said.textContent = "sending…";
  try {
    const outcome = await request();
    said.textContent = outcome.said;
    said.className = "said done";
  } catch (error) {
    said.textContent = error instanceof ApiFailure ? `${error.message}${error.hint === null ? "" : ` (${error.hint})`}` : String(error);
    said.className = "said refused";
    for (const b of buttons) b.disabled = false;
  }
}
