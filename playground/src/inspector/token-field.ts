import type { Api } from "./api-client.ts";
import { el } from "./element.ts";

/**
 * Where the user gives the page their token (the one `flow serve` printed
 * on its first start, or one from `flow serve --add-token NAME`): kept in
 * this browser for this server, sent with every request, attributed to its
 * holder in every decision.
 */
export function tokenField(api: Api, changed: () => void): HTMLElement {
  const input = el("input", { type: "password", id: "token", placeholder: "bearer token", "aria-label": "bearer token", autocomplete: "off", size: "22" });
  const save = el("button", { type: "button", id: "token-save" }, "Use token");
  const state = el("span", { class: "muted", id: "token-state" });
  const show = () => {
    state.textContent = api.token === null ? "read-only: no token" : "token set";
    save.textContent = api.token === null ? "Use token" : "Forget token";
    input.hidden = api.token !== null;
  };
  save.addEventListener("click", () => {
    api.token = api.token === null ? input.value.trim() : null;
    input.value = "";
    show();
    changed();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") save.click();
  });
  show();
  return el("span", { class: "token-field" }, input, save, state);
}
