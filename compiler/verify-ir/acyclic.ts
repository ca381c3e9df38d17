import { sourceKey } from "./sources.ts";
import type { Span } from "../ir/span.ts";
import type { Source } from "../ir/workflow.ts";
import type { IrIndex, WorkflowIndex } from "./ir-index.ts";
import type { Problems } from "./problem.ts";

/**
 * FL0506: each workflow's graph is acyclic. Its nodes are the vertices,
 * the `let`s of `lets`, the barriers (signals included), and for each
 * fan-out two: its items (ready once its list is) and its list (done once
 * every item is). A value depends on what it reads (edges, `reads`), on
 * the barrier it waits for (`after`), and on the items of the fan-out it
 * is in; a fan-out's list depends on everything in it. A cycle is a
 * vertex that waits, through these, for itself: the interpreter could
 * never start it. Each cycle is reported once, at the dependency that
 * points backwards in the source (most likely the wrong one).
 */
export function checkAcyclic(index: IrIndex, problems: Problems): void {
  for (const graph of index.graphs) new Dependencies(graph).report(problems);
}

interface Dependency {
  readonly from: string;
  readonly to: string;
  /** The pointer of what records it, and what to call it. */
  readonly path: string;
  readonly what: string;
}

class Dependencies {
  private readonly out = new Map<string, Dependency[]>();
  private readonly spans = new Map<string, Span>();

  constructor(private readonly graph: WorkflowIndex) {
    const { workflow, path } = graph;
    for (const v of workflow.vertices) this.node(`vertex:${v.id}`, v.span);
    for (const f of workflow.fanOuts) {
      this.node(`item:${f.id}`, f.span);
      this.node(`fanOut:${f.id}`, f.span);
    }
    for (const l of workflow.lets) this.node(`let:${l.id}`, l.span);
    for (const b of workflow.barriers) this.node(`barrier:${b.id}`, b.span);

    const inFanOut = (key: string, fanOut: string | null, at: string): void => {
      if (fanOut === null) return;
      this.add(`item:${fanOut}`, key, at, `it runs once per item of \`for ${fanOut}\``);
      this.add(key, `fanOut:${fanOut}`, at, `\`for ${fanOut}\` yields once it is done`);
    };
    workflow.edges.forEach((e, j) => this.read(e.from, `vertex:${e.to}`, `${path}/edges/${j}`, `the edge from ${label(keyOf(e.from) ?? "")} into \`${e.to}\`'s \`${e.param}\``));
    workflow.vertices.forEach((v, j) => {
      const key = `vertex:${v.id}`;
      inFanOut(key, v.fanOut, `${path}/vertices/${j}/fanOut`);
      if (v.after !== null) this.add(`barrier:${v.after}`, key, `${path}/vertices/${j}/after`, `\`${v.id}\` waits for \`${v.after}\``);
    });
    workflow.fanOuts.forEach((f, j) => {
      const at = `${path}/fanOuts/${j}`;
      f.reads.forEach((r, k) => this.read(r, `item:${f.id}`, `${at}/reads/${k}`, `the list of \`for ${f.id}\` reads ${label(keyOf(r) ?? "")}`));
      this.add(`item:${f.id}`, `fanOut:${f.id}`, at, `\`for ${f.id}\` yields once its items are done`);
      if (f.parent !== null) {
        this.add(`item:${f.parent}`, `item:${f.id}`, `${at}/parent`, `\`for ${f.id}\` runs once per item of \`for ${f.parent}\``);
        this.add(`fanOut:${f.id}`, `fanOut:${f.parent}`, `${at}/parent`, `\`for ${f.parent}\` yields once \`for ${f.id}\` is done`);
      }
    });
    workflow.lets.forEach((l, j) => {
      const key = `let:${l.id}`;
      l.reads.forEach((r, k) => this.read(r, key, `${path}/lets/${j}/reads/${k}`, `the let \`${l.id}\` reads ${label(keyOf(r) ?? "")}`));
      inFanOut(key, l.fanOut, `${path}/lets/${j}/fanOut`);
    });
    workflow.barriers.forEach((b, j) => {
      const key = `barrier:${b.id}`;
      b.reads.forEach((r, k) => this.read(r, key, `${path}/barriers/${j}/reads/${k}`, `the barrier \`${b.id}\` reads ${label(keyOf(r) ?? "")}`));
      inFanOut(key, b.fanOut, `${path}/barriers/${j}/fanOut`);
      if (b.after !== null) this.add(`barrier:${b.after}`, key, `${path}/barriers/${j}/after`, `\`${b.id}\` waits for \`${b.after}\``);
    });
  }

  private node(key: string, span: Span): void {
    if (!this.out.has(key)) this.out.set(key, []);
    if (!this.spans.has(key)) this.spans.set(key, span);
  }

  private read(source: Source, to: string, path: string, what: string): void {
    const from = keyOf(source);
    if (from !== undefined) this.add(from, to, path, what);
  }

  /** Dependencies on what the graph does not hold were reported as unresolved (FL0504): left out here. */
  private add(from: string, to: string, path: string, what: string): void {
    if (!this.out.has(from) || !this.out.has(to)) return;
    this.out.get(from)!.push({ from, to, path, what });
  }

  report(problems: Problems): void {
    for (const component of this.components()) {
      const cycle = this.cycleIn(component);
      if (cycle.length === 0) continue;
      const start = (key: string) => this.spans.get(key)?.start ?? 0;
      const goesBack = (d: Dependency) => start(d.from) > start(d.to);
      const backwards = cycle.find((d) => goesBack(d) && d.path.includes("/edges/")) ?? cycle.find(goesBack) ?? cycle[0]!;
      const names = [...cycle.map((d) => label(d.from)), label(cycle[0]!.from)];
      problems.add(
        "FL0506",
        backwards.path,
        this.spans.get(backwards.to) ?? null,
        `in \`${this.graph.workflow.name}\`, ${names.join(" → ")} wait for each other in a cycle, through ${backwards.what}`,
        "a workflow's graph is acyclic: a vertex that waits for its own result can never start",
      );
    }
  }

  /** The strongly connected components with a cycle in them (Tarjan's algorithm, without recursion). */
  private components(): string[][] {
    const indexOf = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const found: string[][] = [];
    let counter = 0;
    for (const root of this.out.keys()) {
      if (indexOf.has(root)) continue;
      const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
      indexOf.set(root, counter);
      low.set(root, counter++);
      stack.push(root);
      onStack.add(root);
      while (work.length > 0) {
        const frame = work[work.length - 1]!;
        const edges = this.out.get(frame.node)!;
        if (frame.next < edges.length) {
          const to = edges[frame.next++]!.to;
          if (!indexOf.has(to)) {
            indexOf.set(to, counter);
            low.set(to, counter++);
            stack.push(to);
            onStack.add(to);
            work.push({ node: to, next: 0 });
          } else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, indexOf.get(to)!));
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
        if (low.get(frame.node) === indexOf.get(frame.node)) {
          const component: string[] = [];
          let member: string;
          do {
            member = stack.pop()!;
            onStack.delete(member);
            component.push(member);
          } while (member !== frame.node);
          const selfLoop = this.out.get(frame.node)!.some((d) => d.to === frame.node);
          if (component.length > 1 || selfLoop) found.push(component);
        }
      }
    }
    return found;
  }

  /** One cycle through a component, as the dependencies along it, starting at its first node in source order. */
  private cycleIn(component: readonly string[]): Dependency[] {
    const members = new Set(component);
    const first = [...component].sort((a, b) => (this.spans.get(a)?.start ?? 0) - (this.spans.get(b)?.start ?? 0))[0]!;
    // Breadth first from `first` back to it, within the component: the shortest cycle through it.
    const via = new Map<string, Dependency>();
    const queue = [first];
    for (let i = 0; i < queue.length; i++) {
      for (const d of this.out.get(queue[i]!)!) {
        if (!members.has(d.to)) continue;
        if (d.to === first) {
          const cycle = [d];
          for (let at = d.from; at !== first; at = via.get(at)!.from) cycle.unshift(via.get(at)!);
          return cycle;
        }
        if (!via.has(d.to)) {
          via.set(d.to, d);
          queue.push(d.to);
        }
      }
    }
    return [];
  }
}

/** The graph node a source is; parameters are inputs, never part of a cycle. */
function keyOf(source: Source): string | undefined {
  return source.kind === "param" ? undefined : sourceKey(source);
}

function label(key: string): string {
  const [kind, ...rest] = key.split(":");
  const id = rest.join(":");
  switch (kind) {
    case "vertex":
      return `\`${id}\``;
    case "item":
      return `the items of \`for ${id}\``;
    case "fanOut":
      return `the list of \`for ${id}\``;
    case "let":
      return `the let \`${id}\``;
    case "barrier":
      return `\`${id}\``;
    default:
      return "a parameter";
  }
}
