import type { CostTable } from "../protocol.ts";

/**
 * `flow check`'s cost table as HTML: the calls of units, then each unit's
 * worst case against the budget with its verdict, coloured (`fits` green,
 * `may exceed` amber, `exceeds` red), then the notes that explain a verdict.
 */
export function renderCostTable(table: CostTable): HTMLElement {
  const section = document.createElement("section");
  section.className = "costs";
  section.append(
    grid(
      "cost-rows",
      ["vertex", "×", "attempts", "one attempt", "worst case"],
      table.rows.map((r) => [r.vertex, r.multiplier, r.attempts, r.perAttempt, r.worst]),
    ),
  );
  const totals = grid(
    "cost-totals",
    ["", ...table.totals.map((t) => t.unit)],
    [
      ["worst case", ...table.totals.map((t) => t.worst)],
      ["budget", ...table.totals.map((t) => t.budget)],
      ["verdict", ...table.totals.map((t) => t.verdict)],
    ],
  );
  const verdictRow = totals.querySelector("tbody tr:last-child");
  verdictRow?.querySelectorAll("td").forEach((cell, i) => {
    if (i > 0) cell.className = `verdict verdict-${(cell.textContent ?? "").replace(/\s+/g, "-")}`;
  });
  section.append(totals);
  if (table.notes.length > 0) {
    const notes = document.createElement("ul");
    notes.className = "cost-notes";
    for (const note of table.notes) notes.append(Object.assign(document.createElement("li"), { textContent: note }));
    section.append(notes);
  }
  return section;
}

function grid(className: string, head: readonly string[], rows: readonly (readonly string[])[]): HTMLTableElement {
  const table = document.createElement("table");
  table.className = className;
  const headRow = table.createTHead().insertRow();
  for (const cell of head) headRow.append(Object.assign(document.createElement("th"), { textContent: cell }));
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) tr.insertCell().textContent = cell;
  }
  return table;
}
