/** The API's routes, by method and path; anything else under /api/ is a 404 (405 for a known path and another method). */
export type Route =
  | { readonly kind: "runs" }
  | { readonly kind: "start" }
  | { readonly kind: "run"; readonly run: string }
  | { readonly kind: "graph"; readonly run: string }
  | { readonly kind: "entries"; readonly run: string }
  | { readonly kind: "vertex"; readonly run: string; readonly instance: string }
  | { readonly kind: "receipt"; readonly run: string }
  | { readonly kind: "gates"; readonly run: string }
  | { readonly kind: "events"; readonly run: string }
  | { readonly kind: "replay"; readonly run: string }
  | { readonly kind: "decide"; readonly run: string; readonly decision: "approve" | "reject" }
  | { readonly kind: "signal"; readonly run: string }
  | { readonly kind: "control"; readonly run: string; readonly control: "pause" | "cancel" }
  | { readonly kind: "resume"; readonly run: string };

export type Match = { readonly kind: "route"; readonly route: Route } | { readonly kind: "wrongMethod"; readonly allowed: "GET" | "POST" | "GET, POST" } | { readonly kind: "none" };

const reads: Readonly<Record<string, (run: string) => Route>> = {
  graph: (run) => ({ kind: "graph", run }),
  entries: (run) => ({ kind: "entries", run }),
  receipt: (run) => ({ kind: "receipt", run }),
  gates: (run) => ({ kind: "gates", run }),
  events: (run) => ({ kind: "events", run }),
};

const changes: Readonly<Record<string, (run: string) => Route>> = {
  replay: (run) => ({ kind: "replay", run }),
  approve: (run) => ({ kind: "decide", run, decision: "approve" }),
  reject: (run) => ({ kind: "decide", run, decision: "reject" }),
  signal: (run) => ({ kind: "signal", run }),
  pause: (run) => ({ kind: "control", run, control: "pause" }),
  cancel: (run) => ({ kind: "control", run, control: "cancel" }),
  resume: (run) => ({ kind: "resume", run }),
};

/** `segments` is the path after `/api/`, split at `/` and percent-decoded. */
export function matchRoute(method: string, segments: readonly string[]): Match {
  const get = (route: Route): Match => (method === "GET" || method === "HEAD" ? { kind: "route", route } : { kind: "wrongMethod", allowed: "GET" });
  const post = (route: Route): Match => (method === "POST" ? { kind: "route", route } : { kind: "wrongMethod", allowed: "POST" });
  const [first, run, action, instance, ...rest] = segments;
  if (first !== "runs" || rest.length > 0) return { kind: "none" };
  if (run === undefined) {
    if (method === "POST") return { kind: "route", route: { kind: "start" } };
    return method === "GET" || method === "HEAD" ? { kind: "route", route: { kind: "runs" } } : { kind: "wrongMethod", allowed: "GET, POST" };
  }
  if (action === undefined) return get({ kind: "run", run });
  if (action === "vertices") return instance === undefined ? { kind: "none" } : get({ kind: "vertex", run, instance });
  if (instance !== undefined) return { kind: "none" };
  const read = reads[action];
  if (read !== undefined) return get(read(run));
  const change = changes[action];
  if (change !== undefined) return post(change(run));
  return { kind: "none" };
}

/** Whether a route changes a run, and so always needs a token. Replay is a POST (it runs the whole run again) but changes nothing. */
export function changesState(route: Route): boolean {
  switch (route.kind) {
    case "runs":
    case "run":
    case "graph":
    case "entries":
    case "vertex":
    case "receipt":
    case "gates":
    case "events":
    case "replay":
      return false;
    case "start":
    case "decide":
    case "signal":
    case "control":
    case "resume":
      return true;
  }
}
