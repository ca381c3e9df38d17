import type { MarkerDiagnostic } from "../protocol.ts";

/** Under the editor, every diagnostic on one line (`FL0301 3:5 message`); a click puts the cursor on it. */
export function renderProblems(list: HTMLElement, diagnostics: readonly MarkerDiagnostic[], reveal: (d: MarkerDiagnostic) => void): void {
  list.replaceChildren(
    ...diagnostics.map((d) => {
      const item = document.createElement("li");
      item.className = d.severity;
      item.dataset.code = d.code;
      const code = Object.assign(document.createElement("span"), { className: "code", textContent: d.code });
      item.append(code, ` ${d.range.startLine}:${d.range.startColumn} ${d.severity}: ${d.message}`);
      item.addEventListener("click", () => reveal(d));
      return item;
    }),
  );
}
