import { subExpressions } from "../../compiler/ir/sub-expressions.ts";
import type { Expr, Stmt, Tolerate } from "../../compiler/ir/body.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import type { Barrier, FanOut, Source, Vertex, Workflow } from "../../compiler/ir/workflow.ts";
import { FlowText, quote as quoted } from "./flow-text.ts";
import type { FanOutModel, GraphEdge, GraphNode, Item, Placement, WorkflowModel } from "./graph-model.ts";
import { orderEdges } from "./order-edges.ts";

/** The width a label's expression is cut to (lambda bodies first): labels stay on one line. */
const exprWidth = 56;

/**
 * Builds the model of one workflow (graph-model.ts) by walking its IR body
 * in order, as lowering wrote it: each vertex, fan-out, `let`, condition
 * and barrier becomes a node where the body computes it, with the barrier
 * before it; the IR's `edges` and the `reads` of its fan-outs, `let`s and
 * barriers become the data edges, and order-edges.ts adds the order.
 */
export class WorkflowModelBuilder {
  private readonly text: FlowText;
  private readonly vertices: ReadonlyMap<string, Vertex>;
  private readonly fanOuts: ReadonlyMap<string, FanOut>;
  private readonly barriers: ReadonlyMap<string, Barrier>;
  private readonly lets: ReadonlyMap<string, Workflow["lets"][number]>;
  private readonly nodes = new Map<string, GraphNode>();
  private readonly placement = new Map<string, Placement>();
  private readonly edges = new Map<string, GraphEdge>();
  /** What a `let` names: a vertex, a fan-out's list, a signal's value or its own node. */
  private readonly letValues = new Map<string, { readonly node: string; readonly fromList: boolean }>();
  private lastBarrier: string | null = null;
  private conditions = 0;

  constructor(
    private readonly ir: Ir,
    private readonly workflow: Workflow,
  ) {
    this.vertices = new Map(workflow.vertices.map((v) => [v.id, v]));
    this.fanOuts = new Map(workflow.fanOuts.map((f) => [f.id, f]));
    this.barriers = new Map(workflow.barriers.map((b) => [b.id, b]));
    this.lets = new Map(workflow.lets.map((l) => [l.id, l]));
    this.text = new FlowText(ir, this.vertices);
  }

  build(): WorkflowModel {
    const w = this.workflow;
    const top: Placement = { fanOuts: [], arms: [] };
    const params = w.params.map((p) => {
      const type = this.text.type(p.type) + (p.optional && p.type.anyOf === undefined ? "?" : "");
      return this.add({ kind: "param", id: `param:${p.name}`, label: `${p.name}: ${type}`, after: null, name: p.name, type }, top);
    });
    const body = this.block(w.body, top);

    for (const e of w.edges) {
      const from = this.source(e.from);
      this.edge(from.node, `vertex:${e.to}`, "data", from.fromList, [{ param: e.param, type: this.text.type(e.type) }]);
    }
    for (const f of w.fanOuts) this.reads(f.reads, `item:${f.id}`);
    for (const l of w.lets) this.reads(l.reads, `let:${l.id}`);
    for (const b of w.barriers) this.reads(b.reads, `barrier:${b.id}`);

    const edges = [...this.edges.values()];
    edges.push(...orderEdges(this.nodes, this.placement, edges));
    const signature = w.params.map((p) => this.nodes.get(`param:${p.name}`)!.label).join(", ");
    return {
      name: w.name,
      label: `workflow ${w.name}(${signature}) -> ${this.text.type(w.result)}`,
      nodes: this.nodes,
      params,
      body,
      edges,
      worst: w.cost.worst,
      budget: w.budget,
      verdicts: w.cost.verdicts,
    };
  }

  private add(node: GraphNode, placement: Placement): string {
    if (this.nodes.has(node.id)) throw new Error(`internal: two graph nodes are \`${node.id}\``);
    this.nodes.set(node.id, node);
    this.placement.set(node.id, placement);
    return node.id;
  }

  private edge(from: string, to: string, kind: GraphEdge["kind"], fromList: boolean, values: GraphEdge["values"]): void {
    const key = `${kind} ${fromList} ${from} ${to}`;
    const known = this.edges.get(key);
    this.edges.set(key, { from, to, kind, fromList, values: [...(known?.values ?? []), ...values] });
  }

  private reads(sources: readonly Source[], to: string): void {
    for (const s of sources) {
      const from = this.source(s);
      this.edge(from.node, to, "data", from.fromList, []);
    }
  }

  /** The node a value comes from; a gated vertex's result comes from its gate. */
  private source(s: Source): { readonly node: string; readonly fromList: boolean } {
    switch (s.kind) {
      case "param":
        return { node: `param:${s.name}`, fromList: false };
      case "vertex":
        return { node: this.resultOf(s.vertex), fromList: false };
      case "fanOut":
        return { node: `item:${s.for}`, fromList: true };
      case "item":
        return { node: `item:${s.for}`, fromList: false };
      case "signal":
        return { node: `barrier:${s.barrier}`, fromList: false };
      case "let":
        return { node: `let:${s.let}`, fromList: false };
    }
  }

  private resultOf(vertex: string): string {
    return this.nodes.has(`gate:${vertex}`) ? `gate:${vertex}` : `vertex:${vertex}`;
  }

  /** A block's items, in order; the barrier a block passes does not hold after it (as in lowering). */
  private block(stmts: readonly Stmt[], placement: Placement): Item[] {
    const saved = this.lastBarrier;
    const items: Item[] = [];
    for (const s of stmts) this.stmt(s, placement, items);
    this.lastBarrier = saved;
    return items;
  }

  private stmt(s: Stmt, placement: Placement, items: Item[]): void {
    switch (s.kind) {
      case "let": {
        const value = s.value;
        if (value.kind === "vertex" || value.kind === "for" || value.kind === "signal") {
          this.expr(value, placement, items, s.name);
          this.letValues.set(
            s.id,
            value.kind === "vertex"
              ? { node: this.resultOf(value.vertex), fromList: false }
              : value.kind === "for"
                ? { node: `item:${value.id}`, fromList: true }
                : { node: `barrier:${value.barrier}`, fromList: false },
          );
          return;
        }
        this.expr(value, placement, items, null);
        if (!this.lets.has(s.id)) throw new Error(`internal: the let \`${s.name}\` is neither bound nor in the workflow's lets`);
        const id = this.add(
          { kind: "let", id: `let:${s.id}`, label: `${s.name} = ${this.text.expr(value, exprWidth)}`, after: this.after(), name: s.name },
          placement,
        );
        this.letValues.set(s.id, { node: id, fromList: false });
        items.push({ kind: "node", node: id, gate: null });
        return;
      }
      case "expr":
        return this.expr(s.expr, placement, items, null);
      case "return":
        return this.expr(s.value, placement, items, null);
      case "fail":
        return this.expr(s.message, placement, items, null);
      case "checkpoint":
        return;
      case "if": {
        this.expr(s.cond, placement, items, null);
        const id = `if:${++this.conditions}`;
        this.add({ kind: "condition", id, label: `if ${this.text.expr(s.cond, exprWidth)}`, after: this.after() }, placement);
        for (const from of this.conditionReads(s.cond)) this.edge(from.node, id, "data", from.fromList, []);
        const arm = (name: "then" | "else", stmts: readonly Stmt[]) =>
          this.block(stmts, { fanOuts: placement.fanOuts, arms: [...placement.arms, `${id}/${name}`] });
        items.push({ kind: "branch", condition: id, then: arm("then", s.then), else: arm("else", s.else) });
        return;
      }
      case "barrier":
        return this.barrier(this.barriers.get(s.barrier)!, placement, items, null);
    }
  }

  /** The nodes of the vertices, fan-outs and signals an expression holds, each after those it reads. */
  private expr(e: Expr, placement: Placement, items: Item[], name: string | null): void {
    switch (e.kind) {
      case "vertex": {
        const vertex = this.vertices.get(e.vertex);
        if (vertex === undefined) throw new Error(`internal: no vertex \`${e.vertex}\``);
        for (const arg of vertex.args) this.expr(arg.value, placement, items, null);
        return this.vertex(vertex, placement, items, name);
      }
      case "for":
        return this.fanOut(e, placement, items, name);
      case "signal":
        return this.barrier(this.barriers.get(e.barrier)!, placement, items, name);
      default:
        for (const sub of subExpressions(e)) this.expr(sub, placement, items, null);
    }
  }

  private vertex(v: Vertex, placement: Placement, items: Item[], name: string | null): void {
    const unit = this.ir.units.find((u) => u.name === v.unit);
    const call = this.text.vertexCall(v, exprWidth);
    const after = v.after === null ? null : `barrier:${v.after}`;
    const id = this.add(
      {
        kind: "vertex",
        id: `vertex:${v.id}`,
        label: name === null ? call : `${name} = ${call}`,
        after,
        vertex: v.id,
        unit: v.unit,
        unitKind: v.kind,
        name,
        cost: v.cost,
      },
      placement,
    );
    let gate: string | null = null;
    if (unit?.gate != null) {
      gate = this.add({ kind: "gate", id: `gate:${v.id}`, label: `gate ${quoted(unit.gate)}`, after, gate: unit.gate, vertex: id }, placement);
      this.edge(id, gate, "data", false, []);
    }
    items.push({ kind: "node", node: id, gate });
  }

  private fanOut(e: Extract<Expr, { kind: "for" }>, placement: Placement, items: Item[], name: string | null): void {
    const f = this.fanOuts.get(e.id);
    if (f === undefined) throw new Error(`internal: no fan-out \`${e.id}\``);
    this.expr(e.over, placement, items, null);
    const inside: Placement = { fanOuts: [...placement.fanOuts, f.id], arms: placement.arms };
    const item = this.add(
      { kind: "item", id: `item:${f.id}`, label: f.binding, after: this.after(), fanOut: f.id, binding: f.binding },
      inside,
    );
    const modifiers = [
      `×${f.bound}`,
      ...(f.concurrency === null ? [] : [`${f.concurrency} at a time`]),
      ...(f.tolerate === null ? [] : [`tolerate ${tolerateText(f.tolerate)}`]),
      ...(f.limit === null ? [] : [`limit ${f.limit}`]),
    ];
    const head = `for ${f.binding} in ${this.text.expr(e.over, exprWidth)} ${modifiers.join(", ")}`;
    const fanOut: FanOutModel = {
      id: f.id,
      binding: f.binding,
      name,
      item,
      bound: f.bound,
      concurrency: f.concurrency,
      tolerate: f.tolerate,
      limit: f.limit,
      label: name === null ? head : `${name} = ${head}`,
    };
    items.push({ kind: "fanOut", fanOut, body: this.block(e.body, inside) });
  }

  private barrier(b: Barrier, placement: Placement, items: Item[], name: string | null): void {
    const after = b.after === null ? null : `barrier:${b.after}`;
    let label: string;
    switch (b.kind) {
      case "verify":
        this.expr(b.check, placement, items, null);
        this.expr(b.message, placement, items, null);
        label = `verify ${this.text.expr(b.check, exprWidth)} else ${this.text.expr(b.message, exprWidth)}`;
        break;
      case "approve":
        for (const e of [b.show, b.timeout]) if (e !== null) this.expr(e, placement, items, null);
        label = [
          `approve ${quoted(b.gate)}`,
          ...(b.show === null ? [] : [`show ${this.text.expr(b.show, exprWidth)}`]),
          ...(b.by === null ? [] : [`by ${quoted(b.by)}`]),
          ...(b.timeout === null ? [] : [`timeout ${this.text.expr(b.timeout)}`]),
          ...(b.default === null ? [] : [`default ${b.default}`]),
        ].join(" ");
        break;
      case "sleep":
        this.expr(b.duration, placement, items, null);
        label = `sleep ${this.text.expr(b.duration, exprWidth)}`;
        break;
      case "signal":
        if (b.timeout !== null) this.expr(b.timeout, placement, items, null);
        label = `wait signal ${quoted(b.signal)} -> ${this.text.type(b.type)}${b.timeout === null ? "" : ` timeout ${this.text.expr(b.timeout)}`}`;
        if (name !== null) label = `${name} = ${label}`;
        break;
    }
    const id = this.add({ kind: "barrier", id: `barrier:${b.id}`, label, after, barrier: b.kind, name }, placement);
    this.lastBarrier = b.id;
    items.push({ kind: "node", node: id, gate: null });
  }

  private after(): string | null {
    return this.lastBarrier === null ? null : `barrier:${this.lastBarrier}`;
  }

  /** What an `if` condition reads (the IR records no `reads` for it): the nodes of the names, calls and signals in it. */
  private conditionReads(cond: Expr): { readonly node: string; readonly fromList: boolean }[] {
    const found = new Map<string, { readonly node: string; readonly fromList: boolean }>();
    const visit = (e: Expr): void => {
      if (e.kind === "vertex") found.set(`vertex:${e.vertex}`, { node: this.resultOf(e.vertex), fromList: false });
      else if (e.kind === "signal") found.set(`barrier:${e.barrier}`, { node: `barrier:${e.barrier}`, fromList: false });
      else if (e.kind === "for") found.set(`list:${e.id}`, { node: `item:${e.id}`, fromList: true });
      else if (e.kind === "name" && e.ref.kind === "param") found.set(`param:${e.name}`, { node: `param:${e.name}`, fromList: false });
      else if (e.kind === "name" && e.ref.kind === "item") found.set(`item:${e.ref.for}`, { node: `item:${e.ref.for}`, fromList: false });
      else if (e.kind === "name" && e.ref.kind === "let") {
        const value = this.letValues.get(e.ref.let);
        if (value !== undefined) found.set(`${value.node} ${value.fromList}`, value);
      } else subExpressions(e).forEach(visit);
    };
    visit(cond);
    return [...found.values()];
  }
}

function tolerateText(t: Tolerate): string {
  return t.kind === "count" ? String(t.value) : `${Number((t.value * 100).toPrecision(12))}%`;
}

