import type { StartedRun, StartRequest } from "../../server/api-types.ts";
import { type Api, ApiFailure } from "./api-client.ts";
import { el } from "./element.ts";

/**
 * Starts a run through the server, as `flow run` would start it in the
 * project's directory: a program by its path there, the workflow (when it
 * declares several) and the arguments as JSON. The server checks it all
 * before recording anything and says what is wrong in its own words (a
 * program that does not compile gets `flow check`'s diagnostics); a run
 * started opens in its view.
 */
export function startForm(api: Api, opened: (run: string) => void): HTMLElement {
  const source = el("input", { type: "text", name: "source", placeholder: "examples/hello.flow", required: true, size: "28", "aria-label": "program" });
  const workflow = el("input", { type: "text", name: "workflow", placeholder: "its only workflow", size: "16", "aria-label": "workflow" });
  const args = el("textarea", { name: "args", rows: "1", cols: "40", placeholder: '{"repo": "file:///src/app"}', "aria-label": "arguments (JSON)" });
  const sandbox = el("select", { name: "sandbox", "aria-label": "sandbox" });
  sandbox.append(new Option("each node's profile", ""), ...(["process", "bwrap", "microvm"] as const).map((d) => new Option(d, d)));
  const said = el("div", { class: "start-said", role: "status" });
  const form = el(
    "form",
    { class: "start-form" },
    el("strong", {}, "Start a run"),
    el("label", {}, "program ", source),
    el("label", {}, "workflow ", workflow),
    el("label", {}, "arguments ", args),
    el("label", { title: "every node on this driver, as `flow run --sandbox` puts it" }, "sandbox ", sandbox),
    el("button", { type: "submit" }, "Start"),
    said,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let parsed: StartRequest["args"];
    try {
      parsed = args.value.trim() === "" ? {} : (JSON.parse(args.value) as StartRequest["args"]);
    } catch (error) {
      said.replaceChildren(el("p", { class: "refused" }, `the arguments are not JSON: ${(error as Error).message}`));
      return;
    }
    const body: StartRequest = {
      source: source.value.trim(),
      ...(workflow.value.trim() === "" ? {} : { workflow: workflow.value.trim() }),
      ...(parsed === undefined ? {} : { args: parsed }),
      ...(sandbox.value === "" ? {} : { sandbox: sandbox.value as NonNullable<StartRequest["sandbox"]> }),
    };
    said.replaceChildren(el("p", { class: "muted" }, "starting…"));
    api.post<StartedRun>("runs", body).then(
      (started) => opened(started.run),
      (error: unknown) => {
        if (!(error instanceof ApiFailure)) return said.replaceChildren(el("p", { class: "refused" }, String(error)));
        // A compile error's message is flow check's diagnostics, lines and carets: kept as they are.
        said.replaceChildren(el("pre", { class: "refused", "data-code": error.code }, error.message), error.hint === null ? "" : el("p", { class: "muted" }, error.hint));
      },
    );
  });
  return form;
}
