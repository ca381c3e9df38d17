import type { Amount, CostVector } from "../ir/cost.ts";
import type { Retry, Unit as IrUnit } from "../ir/unit.ts";
import type { Vertex } from "../ir/workflow.ts";
import { add, exceeds, sameAmount, showAmount, times, unbounded, units, type Unit } from "./amounts.ts";
import type { Callee, IrIndex, WorkflowIndex } from "./ir-index.ts";
import type { Problems } from "./problem.ts";
import { constantDuration, WorkflowCost, type VertexFigures } from "./workflow-cost.ts";

/**
 * Budgets within ceilings, each figure recomputed from the IR.
 *
 * FL0514: no vertex's one attempt may cost more than its workflow's
 * ceiling, or be unbounded in a unit the workflow limits: such a vertex
 * could never be dispatched.
 *
 * FL0515: every recorded figure is what the IR's own terms give. For each
 * vertex: `attempts` is its callee's (`retry` counts the first), the
 * multiplier is the product of the bounds of the fan-outs around it, and
 * the worst case is `multiplier × attempts × perAttempt` for tokens,
 * dollars and compute, `attempts × perAttempt` plus the backoff waits for
 * wall time; one attempt costs what the callee's clauses say where they
 * say it (a `budget` entry, a constant `timeout`; an agent's dollars from
 * its route's dearest price, and tokens or wall time unbounded without a
 * clause; a sub-workflow's, its worst case); every vertex has one,
 * wherever it stands (workflow-cost.ts). For each workflow: its worst case
 * and its verdicts, one per unit its budget limits.
 */
export function checkBudgets(index: IrIndex, problems: Problems): void {
  for (const graph of index.graphs) new WorkflowBudget(index, graph, problems).check();
}

class WorkflowBudget {
  private readonly where: string;

  constructor(
    private readonly index: IrIndex,
    private readonly graph: WorkflowIndex,
    private readonly problems: Problems,
  ) {
    this.where = `in \`${graph.workflow.name}\``;
  }

  check(): void {
    const { workflow, path } = this.graph;
    const recomputation = new WorkflowCost(this.graph, (v) => this.figures(v));
    const worst = recomputation.total();
    workflow.vertices.forEach((v, j) => this.vertex(v, `${path}/vertices/${j}`));
    for (const unit of units) {
      if (!sameAmount(workflow.cost.worst[unit], worst[unit]))
        this.problems.add(
          "FL0515",
          `${path}/cost/worst/${unit}`,
          workflow.span,
          `${this.where}, the recorded worst case is ${showAmount(workflow.cost.worst[unit], unit)}, and its vertices add up to ${showAmount(worst[unit], unit)}`,
        );
    }
    this.verdicts(worst);
  }

  /** A vertex's attempts and the worst case of one run of its call, from its recorded one attempt and its callee's clauses. */
  private figures(v: Vertex): VertexFigures {
    const callee = this.index.callee(v.unit);
    const retry = callee?.kind === "unit" ? callee.unit.retry : null;
    // A callee that is not in the IR (FL0504) is taken at its word.
    const attempts = callee === undefined ? v.cost.attempts : (retry?.attempts ?? 1);
    const one = v.cost.perAttempt;
    return {
      attempts,
      run: {
        tokens: times(attempts, one.tokens),
        usd: times(attempts, one.usd),
        compute: times(attempts, one.compute),
        wall: add(times(attempts, one.wall), backoffWaits(retry)),
      },
    };
  }

  private vertex(v: Vertex, at: string): void {
    const cost = v.cost;
    const { workflow } = this.graph;
    const callee = this.index.callee(v.unit);
    const figures = this.figures(v);
    const who = `${this.where}, the vertex \`${v.id}\``;

    const chain = this.chain(v.fanOut);
    if (chain !== undefined) {
      const multiplier = chain.reduce<Amount>((m, f) => times(m, this.graph.fanOuts.get(f)!.value.bound), 1);
      if (cost.fanOut.length !== chain.length)
        this.problems.add("FL0515", `${at}/cost/fanOut`, v.span, `${who} lists ${cost.fanOut.length} fan-outs around it, and it is in ${chain.length}`);
      if (!sameAmount(cost.multiplier, multiplier))
        this.problems.add("FL0515", `${at}/cost/multiplier`, v.span, `${who} is multiplied by ${show(cost.multiplier)}, and the bounds of the fan-outs around it give ${show(multiplier)}`);
      if (cost.attempts !== figures.attempts)
        this.problems.add("FL0515", `${at}/cost/attempts`, v.span, `${who} records ${cost.attempts} attempts, and \`${v.unit}\` makes ${figures.attempts}`);
      for (const unit of units) {
        const expected = unit === "wall" ? figures.run.wall : times(multiplier, figures.run[unit]);
        if (!sameAmount(cost.worst[unit], expected)) {
          const terms = unit === "wall" ? `${figures.attempts} attempts × ${showAmount(cost.perAttempt.wall, "wall")} and their backoff` : `${show(multiplier)} × ${figures.attempts} attempts × ${showAmount(cost.perAttempt[unit], unit)}`;
          this.problems.add("FL0515", `${at}/cost/worst/${unit}`, v.span, `${who} records a worst case of ${showAmount(cost.worst[unit], unit)}, and ${terms} make ${showAmount(expected, unit)}`);
        }
      }
    }
    if (callee !== undefined) this.oneAttempt(v, at, callee);

    for (const unit of units) {
      const ceiling = workflow.budget[unit];
      if (ceiling === null || !exceeds(cost.perAttempt[unit], ceiling)) continue;
      this.problems.add(
        "FL0514",
        `${at}/cost/perAttempt/${unit}`,
        v.span,
        `${who} can never be dispatched: one attempt of \`${v.unit}\` may take ${showAmount(cost.perAttempt[unit], unit)}, and all of \`${workflow.name}\` may take ${showAmount(ceiling, unit)}`,
        `the workflow's ceiling is at ${this.graph.path}/budget/${unit}`,
      );
    }
  }

  /** The fan-outs around a vertex, outermost first; undefined when one is missing or they loop (reported elsewhere). */
  private chain(innermost: string | null): string[] | undefined {
    const chain: string[] = [];
    for (let at = innermost; at !== null; ) {
      const fanOut = this.graph.fanOuts.get(at);
      if (fanOut === undefined || chain.includes(at)) return undefined;
      chain.unshift(at);
      at = fanOut.value.parent;
    }
    return chain;
  }

  /** One attempt costs what the callee's clauses say, where they say it. */
  private oneAttempt(v: Vertex, at: string, callee: Callee): void {
    const one = v.cost.perAttempt;
    const expect = (unit: Unit, amount: Amount, because: string): void => {
      if (!sameAmount(one[unit], amount))
        this.problems.add(
          "FL0515",
          `${at}/cost/perAttempt/${unit}`,
          v.span,
          `${this.where}, the vertex \`${v.id}\` records one attempt of \`${v.unit}\` as ${showAmount(one[unit], unit)}, and ${because} ${showAmount(amount, unit)}`,
        );
    };
    if (callee.kind === "workflow") {
      for (const unit of units) expect(unit, callee.workflow.cost.worst[unit], `the worst case of the workflow \`${v.unit}\` is`);
      return;
    }
    const unit = callee.unit;
    const budget = unit.budget;
    const span = unit.span;
    const timeout = constantDuration(unit.timeout);
    for (const key of ["tokens", "usd", "compute"] as const) {
      if (budget[key] !== null) expect(key, budget[key], `its budget clause says`);
    }
    if (timeout !== undefined) expect("wall", timeout, "its timeout is");
    else if (budget.wall !== null) expect("wall", budget.wall, "its budget clause says");
    if (unit.kind === "agent") {
      if (budget.tokens === null) expect("tokens", unbounded(`the agent \`${unit.name}\` has no \`tokens\` budget`, span), "with no `tokens` budget an agent's tokens are");
      if (timeout === undefined && budget.wall === null) expect("wall", unbounded(`the agent \`${unit.name}\` has no \`timeout\``, span), "with no timeout an agent's wall time is");
      if (budget.usd === null) {
        const price = this.price(unit, one.tokens);
        if (price !== undefined) expect("usd", price, `its tokens at its route's dearest price (table ${this.index.ir.priceTable}) cost`);
      }
    } else {
      if (budget.tokens === null) expect("tokens", 0, `a ${unit.kind} calls no model:`);
      if (budget.usd === null) expect("usd", 0, `a ${unit.kind} calls no model:`);
    }
  }

  /** An agent's dollars for `tokens`: at its route's dearest price per token, unknown when a model has none. */
  private price(agent: Extract<IrUnit, { kind: "agent" }>, tokens: Amount): Amount | undefined {
    if (agent.route === null) return 0;
    const route = this.index.routes.get(agent.route)?.value;
    if (route === undefined) return undefined;
    let perToken = 0;
    for (const model of route.models) {
      if (model.price === null) return { kind: "unknown", cause: { what: `\`${model.id}\` has no price in the price table`, span: route.span } };
      perToken = Math.max(perToken, model.price.input / 1e6, model.price.output / 1e6);
    }
    return times(tokens, perToken);
  }

  private verdicts(worst: CostVector): void {
    const { workflow, path } = this.graph;
    const limited = units.filter((u) => workflow.budget[u] !== null);
    const recorded = workflow.cost.verdicts;
    if (recorded.map((v) => v.unit).join() !== limited.join()) {
      this.problems.add(
        "FL0515",
        `${path}/cost/verdicts`,
        workflow.span,
        `${this.where}, verdicts are recorded for ${recorded.map((v) => `\`${v.unit}\``).join(", ") || "nothing"}, and its budget limits ${limited.map((u) => `\`${u}\``).join(", ") || "nothing"}`,
        "a workflow has one verdict for each unit its budget limits, in the order tokens, usd, compute, wall",
      );
      return;
    }
    recorded.forEach((entry, j) => {
      const unit = entry.unit;
      const ceiling = workflow.budget[unit]!;
      const at = `${path}/cost/verdicts/${j}`;
      if (entry.ceiling !== ceiling)
        this.problems.add("FL0515", `${at}/ceiling`, workflow.span, `${this.where}, the ${unit} verdict is against a ceiling of ${showAmount(entry.ceiling, unit)}, and the budget says ${showAmount(ceiling, unit)}`);
      if (!sameAmount(entry.worst, worst[unit]))
        this.problems.add("FL0515", `${at}/worst`, workflow.span, `${this.where}, the ${unit} verdict is for a worst case of ${showAmount(entry.worst, unit)}, and the vertices add up to ${showAmount(worst[unit], unit)}`);
      const cannot = workflow.vertices.some((v) => exceeds(v.cost.perAttempt[unit], ceiling));
      const verdict = cannot ? "cannot fit" : typeof worst[unit] === "number" && worst[unit] <= ceiling ? "fits" : "may exceed";
      if (entry.verdict !== verdict)
        this.problems.add("FL0515", `${at}/verdict`, workflow.span, `${this.where}, the ${unit} verdict is \`${entry.verdict}\`, and a worst case of ${showAmount(worst[unit], unit)} against ${showAmount(ceiling, unit)} ${verdict === "cannot fit" ? "with a vertex that can never be dispatched " : ""}is \`${verdict}\``);
    });
  }
}

/** The longest the retries of one vertex wait between attempts: constant `base` and `cap` only, as the analysis counts them. */
function backoffWaits(retry: Retry | null): number {
  if (retry === null || retry.backoff === null) return 0;
  const base = constantDuration(retry.backoff.base);
  if (base === undefined) return 0;
  const cap = constantDuration(retry.backoff.cap) ?? Infinity;
  let total = 0;
  for (let i = 0; i < retry.attempts - 1; i++) {
    const delay = retry.backoff.strategy === "exp" ? base * 2 ** i : retry.backoff.strategy === "linear" ? base * (i + 1) : base;
    total += Math.min(delay, cap);
  }
  return total;
}

function show(multiplier: Amount): string {
  return typeof multiplier === "number" ? String(multiplier) : multiplier.kind;
}
