import type { Json } from "../../server/api-types.ts";
import { el } from "./element.ts";

/** Past this many characters a value is cut, with the rest a click away: a step's output can be megabytes. */
const shownChars = 2_000;

/** A recorded value, pretty-printed; a string as itself (a command's output reads better unquoted). */
export function jsonView(value: Json | undefined, className = "json"): HTMLElement {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null, null, 2);
  if (text.length <= shownChars) return el("pre", { class: className }, text);
  const pre = el("pre", { class: className }, text.slice(0, shownChars));
  const more = el("button", { type: "button", class: "link" }, `show all ${text.length.toLocaleString("en")} characters`);
  more.addEventListener("click", () => {
    pre.textContent = text;
    more.remove();
  });
  return el("div", {}, pre, more);
}

/** One line of a value, for tables: at most `max` characters. */
export function jsonLine(value: Json | undefined, max = 80): string {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
