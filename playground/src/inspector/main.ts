import { Api } from "./api-client.ts";
import { RunsList } from "./runs-list.ts";
import { RunView } from "./run-view.ts";
import { tokenField } from "./token-field.ts";

/**
 * The run inspector, served by `flow serve` at `/runs.html`: the runs
 * list, and a run's view at `#run=ID`. Routing is by the fragment, so the
 * page works from any path a static host gives it.
 */

type Page = RunsList | RunView;

const api = new Api(location.href);
// Opened from the link `flow serve` prints beyond loopback (`runs.html?token=…`): the token is kept for the API, and taken out of the address bar.
const given = new URLSearchParams(location.search).get("token");
if (given !== null) {
  api.token = given;
  history.replaceState(null, "", `${location.pathname}${location.hash}`);
}
const root = document.getElementById("inspector")!;
let page: Page | null = null;

document.getElementById("token-slot")!.replaceWith(tokenField(api, () => (page instanceof RunView ? page.tokenChanged() : undefined)));

async function route(): Promise<void> {
  page?.close();
  const run = new URLSearchParams(location.hash.slice(1)).get("run");
  page = run === null ? new RunsList(api) : new RunView(api, run);
  root.replaceChildren(page.element);
  document.title = run === null ? "flow runs" : `flow run ${run}`;
  await page.open();
  document.body.dataset.state = "ready";
}

window.addEventListener("hashchange", () => void route());
void route();
