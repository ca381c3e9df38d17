import type * as A from "../language/ast.ts";
import { closestName } from "../language/closest-name.ts";
import type { DiagnosticCode } from "../language/diagnostics/codes.ts";
import type { Diagnostic } from "../language/diagnostics/diagnostic.ts";
import type { Span } from "../language/source-file.ts";
import { forEachStatementPart, forEachSubExpression, type StatementParts } from "../language/sub-expressions.ts";
import { syntaxError } from "../language/syntax-error.ts";
import { priceOf } from "../stdlib/prices.ts";
import type { TypeResult } from "./check-types.ts";
import * as C from "./cost.ts";
import { defaultConcurrency } from "./ir/concurrency.ts";
import type { Module, ModuleGraph } from "./modules.ts";
import type { NameResolution } from "./resolve-names.ts";

/**
 * How many tool calls an agent loop makes at most in one attempt. Agents'
 * compute is bounded by this times their costliest tool, unless their
 * `budget` says otherwise.
 */
export const agentTurnLimit = 50;

export type Verdict = "fits" | "may exceed" | "cannot fit";

/** One row of the cost table: a call in a workflow, and what it may cost. */
export interface VertexCost {
  readonly workflow: string;
  readonly callee: string;
  readonly call: A.CallExpr;
  /** The fan-outs around the call: `200 pkgs`. Empty outside any `for`. */
  readonly fanOut: readonly string[];
  readonly multiplier: C.Amount;
  readonly attempts: number;
  readonly perAttempt: C.CostVector;
  readonly worst: C.CostVector;
}

export interface WorkflowCost {
  readonly name: string;
  readonly decl: A.WorkflowDecl;
  readonly worst: C.CostVector;
  /** What its worst-case wall time adds up from (wallTotal). */
  readonly wall: WallParts;
  readonly ceiling: Partial<Record<C.Unit, number>>;
  readonly verdicts: Partial<Record<C.Unit, Verdict>>;
}

/** A workflow's worst-case wall time: its critical path, then the time its vertices may wait for a slot of the run. */
export interface WallParts {
  readonly path: C.Amount;
  /** Every vertex instance's own time (attempts and backoff), added up: what the run's slots share. */
  readonly work: C.Amount;
}

export function wallTotal(parts: WallParts): C.Amount {
  // A greedy schedule on `defaultConcurrency` slots ends by the critical path plus the work shared among the slots
  // (Graham's bound), and the runtime dispatches greedily. Without the second term a fan-out wider than the slots would
  // be priced as if all its items ran at once.
  return C.add(parts.path, C.shared(parts.work, defaultConcurrency));
}

/** The last line of a wall-time derivation: `critical path 2s + 1m20s of vertex time / 16 slots = 7s`. */
export function wallLine(parts: WallParts): string {
  const total = C.formatAmount(wallTotal(parts), "wall");
  return `critical path ${C.formatAmount(parts.path, "wall")} + ${C.formatAmount(parts.work, "wall")} of vertex time / ${defaultConcurrency} slots = ${total}`;
}

export interface BudgetResult {
  readonly vertices: readonly VertexCost[];
  readonly workflows: readonly WorkflowCost[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface BudgetOptions {
  /** `--strict`: a plan that may exceed its budget is an error, not a warning. */
  readonly strict: boolean;
}

/**
 * The static budget analysis (LANGUAGE.md §9): a worst-case cost vector for
 * every vertex and every workflow. Sequence adds, branches take the larger,
 * `for` multiplies by the list's bound, retries by attempts; wall time
 * follows the critical path, M items at concurrency N taking ceil(M/N)
 * rounds. Each workflow's figures are then held against its `budget`.
 */
export function analyseBudgets(graph: ModuleGraph, names: NameResolution, types: TypeResult, options: BudgetOptions): BudgetResult {
  const analysis = new BudgetAnalysis(graph, names, types, options);
  for (const module of graph.modules.values()) {
    if (module.std !== undefined) continue;
    for (const decl of module.parsed.program.decls) {
      if (decl.kind === "NodeDecl" || decl.kind === "AgentDecl" || decl.kind === "VerifierDecl" || decl.kind === "WorkflowDecl") {
        for (const clause of decl.clauses) if (clause.kind === "BudgetClause") analysis.ceilings(clause, module);
      }
    }
  }
  for (const module of graph.modules.values()) {
    if (module.std !== undefined) continue;
    for (const decl of module.parsed.program.decls) if (decl.kind === "WorkflowDecl") analysis.workflow(decl, module);
  }
  return { vertices: analysis.vertices, workflows: analysis.workflows, diagnostics: analysis.diagnostics };
}

const budgetKeys: readonly C.Unit[] = C.units;

const keyDimension: Record<C.Unit, A.Dimension> = { tokens: "tokens", usd: "money", compute: "duration", wall: "duration" };

const unitExample: Record<C.Unit, string> = { tokens: "`tokens: 2M`", usd: "`usd: 5.00` or `usd: $5`", compute: "`compute: 2h`", wall: "`wall: 3h`" };

interface Timing {
  /** Summed costs of everything in the block; for wall time, the vertices' own times, every instance (their work). */
  readonly sum: C.CostVector;
  /** When the block's last vertex finishes, from the start of the workflow. */
  readonly end: C.Amount;
}

interface Place {
  readonly workflow: A.WorkflowDecl;
  readonly module: Module;
  readonly fanOut: readonly string[];
  readonly multiplier: C.Amount;
}

class BudgetAnalysis {
  readonly vertices: VertexCost[] = [];
  readonly workflows: WorkflowCost[] = [];
  readonly diagnostics: Diagnostic[] = [];
  private readonly perAttempt = new Map<A.CallableDecl, C.CostVector>();
  /** The file of each node, agent, verifier and workflow (the declarations that have budgets). */
  private readonly modules = new Map<A.Decl, Module>();
  private readonly ceilingOf = new Map<A.BudgetClause, Partial<Record<C.Unit, number>>>();
  private readonly workflowTotals = new Map<A.WorkflowDecl, C.CostVector>();
  private readonly wallParts = new Map<A.WorkflowDecl, WallParts>();
  private readonly inProgress = new Set<A.WorkflowDecl>();
  /** The causes that stand for a workflow calling itself, directly or through others: their help is not a budget. */
  private readonly recursion = new WeakSet<C.Cause>();
  /** `vertices` by the name of their workflow: filtering all of them for each workflow was quadratic. */
  private readonly verticesOf = new Map<string, VertexCost[]>();
  /** The FL0401 reports so far, which each workflow looks through for its own. */
  private readonly unboundedFanOuts: Diagnostic[] = [];
  private readonly readiness: Readiness;

  constructor(
    graph: ModuleGraph,
    private readonly names: NameResolution,
    private readonly types: TypeResult,
    private readonly options: BudgetOptions,
  ) {
    for (const module of graph.modules.values()) {
      for (const decl of module.parsed.program.decls) {
        if (decl.kind === "NodeDecl" || decl.kind === "AgentDecl" || decl.kind === "VerifierDecl" || decl.kind === "WorkflowDecl") this.modules.set(decl, module);
      }
    }
    this.readiness = new Readiness(names);
  }

  /** A `budget { … }` clause's ceilings, in base units; wrong keys and units are reported once, here. */
  ceilings(clause: A.BudgetClause, module: Module): Partial<Record<C.Unit, number>> {
    const known = this.ceilingOf.get(clause);
    if (known !== undefined) return known;
    const ceiling: Partial<Record<C.Unit, number>> = {};
    for (const entry of clause.entries) {
      const key = entry.key.name as C.Unit;
      if (!budgetKeys.includes(key)) {
        const close = closestName(entry.key.name, [...budgetKeys]);
        this.report(module, "FL0405", entry.key.span, {
          message: `\`${entry.key.name}\` is not something a budget limits`,
          label: close === undefined ? "unknown budget unit" : `did you mean \`${close}\`?`,
          help: "a budget limits `tokens`, `usd`, `compute` (sandbox time) and `wall` (elapsed time)",
        });
        continue;
      }
      const value = entry.value;
      const plainNumber = value.kind === "NumberLit";
      const fits =
        (value.kind === "QuantityLit" && value.dimension === keyDimension[key]) ||
        (plainNumber && key === "usd") ||
        (plainNumber && key === "tokens" && value.integer);
      if (!fits) {
        this.report(module, "FL0406", value.span, {
          message: `\`${entry.key.name}\` is measured in ${key === "tokens" ? "tokens" : key === "usd" ? "US dollars" : "time"}, and \`${value.raw}\` is not`,
          label: "wrong unit",
          help: `write it as ${unitExample[key]}`,
        });
        continue;
      }
      ceiling[key] = value.value;
    }
    this.ceilingOf.set(clause, ceiling);
    return ceiling;
  }

  private budgetOf(decl: A.CallableDecl): Partial<Record<C.Unit, number>> {
    const clause = decl.clauses.find((c): c is A.BudgetClause => c.kind === "BudgetClause");
    return clause === undefined ? {} : this.ceilings(clause, this.modules.get(decl)!);
  }

  // ──────────────────────────── one attempt of a unit ────────────────────────────

  /** What one attempt of a node, agent or verifier may cost at most. */
  private attempt(decl: A.CallableDecl): C.CostVector {
    const known = this.perAttempt.get(decl);
    if (known !== undefined) return known;
    const module = this.modules.get(decl)!;
    const budget = this.budgetOf(decl);
    const declared = (unit: C.Unit): C.Amount | undefined => (budget[unit] === undefined ? undefined : C.finite(budget[unit]));
    const timeout = this.constantDuration(decl.clauses.find((c): c is A.TimeoutClause => c.kind === "TimeoutClause")?.duration);
    const cause = (what: string, span: Span = decl.name.span): C.Amount => ({ kind: "unbounded", cause: { span: { file: module.path, ...span }, what } });
    let vector: C.CostVector;
    switch (decl.kind) {
      case "NodeDecl":
      case "VerifierDecl": {
        const compute = declared("compute");
        const wall = timeout ?? declared("wall");
        // The steps' costs bound only what the clauses leave open: most nodes give both, and their bodies need no walk.
        const steps = compute !== undefined && wall !== undefined ? undefined : this.steps(decl.body, module);
        vector = {
          tokens: declared("tokens") ?? C.zero,
          usd: declared("usd") ?? C.zero,
          compute: compute ?? steps!.compute,
          wall: wall ?? steps!.wall,
        };
        break;
      }
      case "AgentDecl": {
        const tokens = declared("tokens") ?? cause(`the agent \`${decl.name.name}\` has no \`tokens\` budget`);
        const tools = decl.clauses.find((c): c is A.ToolsClause => c.kind === "ToolsClause")?.tools ?? [];
        let toolCost = C.zero;
        for (const tool of tools) {
          const binding = this.names.references.get(tool);
          if (binding?.kind === "declaration" && binding.decl.kind === "FnDecl") toolCost = C.max(toolCost, this.fnCost(binding.decl, [], tool.span, module).compute);
        }
        vector = {
          tokens,
          usd: declared("usd") ?? this.price(decl, tokens, module),
          compute: declared("compute") ?? C.times(C.finite(agentTurnLimit), toolCost),
          wall: timeout ?? declared("wall") ?? cause(`the agent \`${decl.name.name}\` has no \`timeout\``),
        };
        break;
      }
      case "WorkflowDecl":
        vector = this.workflowTotal(decl);
        break;
    }
    this.perAttempt.set(decl, vector);
    return vector;
  }

  /** Dollars for an agent's tokens at its route's dearest price; unknown when a model has none. */
  private price(decl: A.AgentDecl, tokens: C.Amount, module: Module): C.Amount {
    const clause = decl.clauses.find((c): c is A.ModelsClause => c.kind === "ModelsClause");
    if (clause === undefined) return C.zero;
    let models: { id: string; span: Span }[] = [];
    if (clause.route.kind === "ListExpr") models = clause.route.items.flatMap((i) => (i.kind === "StringLit" ? [{ id: textOf(i), span: i.span }] : []));
    else {
      const binding = this.names.references.get(clause.route);
      if (binding?.kind === "declaration" && binding.decl.kind === "ModelsDecl") models = binding.decl.models.map((m) => ({ id: textOf(m), span: clause.route.span }));
    }
    let perToken = 0;
    for (const model of models) {
      const price = priceOf(model.id);
      if (price === undefined) return { kind: "unknown", cause: { span: { file: module.path, ...model.span }, what: `\`${model.id}\` has no price in the price table` } };
      perToken = Math.max(perToken, price.input / 1e6, price.output / 1e6);
    }
    return C.times(tokens, C.finite(perToken));
  }

  /** Compute and wall time of the steps a body runs, loops multiplied by their bounds. */
  private steps(block: A.Block, module: Module): C.CostVector {
    let total = C.zeroVector;
    for (const stmt of block.stmts) total = C.addVectors(total, this.stepsInStmt(stmt, module));
    return total;
  }

  private stepsInStmt(stmt: A.Stmt, module: Module): C.CostVector {
    switch (stmt.kind) {
      case "LetStmt":
        return this.stepsInExpr(stmt.value, module);
      case "ExprStmt":
        return this.stepsInExpr(stmt.expr, module);
      case "ReturnStmt":
        return this.stepsInExpr(stmt.value, module);
      case "FailStmt":
        return this.stepsInExpr(stmt.message, module);
      case "IfStmt": {
        const otherwise = stmt.else === null ? C.zeroVector : stmt.else.kind === "Block" ? this.steps(stmt.else, module) : this.stepsInStmt(stmt.else, module);
        return C.addVectors(this.stepsInExpr(stmt.cond, module), C.maxVectors(this.steps(stmt.then, module), otherwise));
      }
      case "VerifyStmt":
      case "ApproveStmt":
      case "SleepStmt":
      case "CheckpointStmt":
        return C.zeroVector;
    }
  }

  private stepsInExpr(expr: A.Expr, module: Module): C.CostVector {
    let total = C.zeroVector;
    const visit = (e: A.Expr): void => {
      forEachSubExpression(e, visit);
      if (e.kind === "CallExpr") {
        const call = this.types.calls.get(e);
        if (call?.decl.kind === "FnDecl" && call.signature.kind === "step") total = C.addVectors(total, this.fnCost(call.decl, e.args, e.span, module));
      } else if (e.kind === "ForExpr") {
        const count = this.fanOutWidth(e, module, false);
        total = C.addVectors(total, C.mapVector(this.steps(e.body, module), (a) => C.times(count, a)));
      }
    };
    visit(expr);
    return total;
  }

  /** One call of a std step, from its `cost` clause: constants, or the duration argument it names. */
  private fnCost(decl: A.FnDecl, args: readonly A.Arg[], at: Span, module: Module): C.CostVector {
    const clause = decl.clauses.find((c): c is A.CostClause => c.kind === "CostClause");
    const name = decl.namespace === null ? decl.name.name : `${decl.namespace.name}.${decl.name.name}`;
    const cost: Record<C.Unit, C.Amount> = { tokens: C.zero, usd: C.zero, compute: C.zero, wall: C.zero };
    for (const entry of clause?.entries ?? []) {
      const unit = entry.key.name as C.Unit;
      if (!budgetKeys.includes(unit)) continue;
      if (entry.value.kind !== "Ident") {
        cost[unit] = C.finite(entry.value.value);
        continue;
      }
      const paramName = entry.value.name;
      const index = decl.params.findIndex((p) => p.name.name === paramName);
      const arg = args.find((a) => a.name?.name === paramName) ?? args.filter((a) => a.name === null)[index];
      const value = this.constantDuration(arg?.value);
      cost[unit] =
        value ??
        ({
          kind: "unbounded",
          cause: {
            span: { file: module.path, ...at },
            what: arg === undefined ? `\`${name}\` without \`${paramName}:\`` : `\`${name}\` with a \`${paramName}\` that is not a constant`,
          },
        } as C.Amount);
    }
    return cost;
  }

  private constantDuration(expr: A.Expr | undefined): C.Amount | undefined {
    return expr?.kind === "QuantityLit" && expr.dimension === "duration" ? C.finite(expr.value) : undefined;
  }

  /** How many items a `for` runs: its list's bound, or its `limit`. */
  private fanOutWidth(expr: A.ForExpr, module: Module, inWorkflow: boolean): C.Amount {
    const type = this.types.types.get(expr.iterable);
    const bound = type?.kind === "list" && type.bound.kind === "fixed" ? type.bound.max : undefined;
    const limit = expr.limit?.kind === "NumberLit" ? expr.limit.value : undefined;
    const width = bound === undefined ? limit : limit === undefined ? bound : Math.min(bound, limit);
    if (width !== undefined) return C.finite(width);
    const shown = expressionText(expr.iterable);
    if (inWorkflow) {
      this.report(module, "FL0401", expr.iterable.span, {
        message: `fan-out width unbounded: \`${shown}\` has no static bound`,
        label: "no bound",
        help: `give its type a bound, such as \`List<${type?.kind === "list" ? elementName(type.element) : "T"}, max N>\`, or write \`for … limit N\``,
      });
    }
    return { kind: "unbounded", cause: { span: { file: module.path, ...expr.iterable.span }, what: `\`for ${expr.binding.name} in ${shown}\` has no bound` } };
  }

  // ───────────────────────────────── workflows ─────────────────────────────────

  workflow(decl: A.WorkflowDecl, module: Module): void {
    const worst = this.workflowTotal(decl);
    const ceiling = this.budgetOf(decl);
    const verdicts: Partial<Record<C.Unit, Verdict>> = {};
    const budget = decl.clauses.find((c): c is A.BudgetClause => c.kind === "BudgetClause");
    const mine = this.modules.get(decl) === module ? (this.verticesOf.get(decl.name.name) ?? []) : [];
    // An unbounded fan-out is an error of its own (FL0401); verdicts on top of it would repeat it.
    if (this.unboundedFanOuts.some((d) => d.primary.span.file === module.path && d.primary.span.start >= decl.span.start && d.primary.span.end <= decl.span.end)) {
      this.workflows.push({ name: decl.name.name, decl, worst, wall: this.wallPartsOf(decl), ceiling: this.budgetOf(decl), verdicts: {} });
      return;
    }
    for (const unit of C.units) {
      const limit = ceiling[unit];
      if (limit === undefined) continue;
      const entry = budget?.entries.find((e) => e.key.name === unit);
      const budgetLabel = { span: entry?.span ?? decl.name.span, label: `the workflow's ceiling: ${C.formatValue(limit, unit)}` };
      // A vertex whose one attempt may cost more than the whole envelope is never dispatched.
      const impossible = mine.filter((v) => v.perAttempt[unit].kind === "unbounded" || (v.perAttempt[unit].kind === "finite" && (v.perAttempt[unit] as { value: number }).value > limit));
      if (impossible.length > 0) {
        verdicts[unit] = "cannot fit";
        for (const v of impossible) {
          const one = v.perAttempt[unit];
          this.report(module, "FL0402", v.call.span, {
            message:
              one.kind === "unbounded"
                ? `\`${v.callee}\` can never be dispatched: the ${unit} of one attempt ${unit === "tokens" ? "are" : "is"} unbounded (${one.cause.what}), and \`${decl.name.name}\` allows ${C.formatValue(limit, unit)}`
                : `\`${v.callee}\` can never be dispatched: one attempt may take ${C.formatAmount(one, unit)} ${unitNoun(unit)}, more than all of \`${decl.name.name}\`'s ${C.formatValue(limit, unit)}`,
            label: "cannot fit",
            secondary: [budgetLabel],
            help: one.kind === "unbounded" ? (this.recursion.has(one.cause) ? recursionHelp : boundHelp(unit)) : `raise the workflow's \`${unit}\` budget above ${C.formatAmount(one, unit)}, or lower \`${v.callee}\`'s`,
          });
        }
        continue;
      }
      const total = worst[unit];
      if (total.kind === "finite" && total.value <= limit) {
        verdicts[unit] = "fits";
        continue;
      }
      if (total.kind === "unknown") {
        verdicts[unit] = "may exceed";
        this.report(module, "FL0404", decl.name.span, {
          message: `the worst-case ${unit} of \`${decl.name.name}\` is unknown: ${total.cause.what}`,
          label: "price unknown",
          secondary: [budgetLabel],
          help: "give the agent a `usd` budget of its own, or use a model the price table lists (see stdlib/prices.json)",
          severity: "warning",
        });
        continue;
      }
      verdicts[unit] = "may exceed";
      const derivation = mine
        .filter((v) => v.worst[unit].kind !== "finite" || (v.worst[unit] as { value: number }).value > 0)
        .sort((a, b) => amountOrder(shownWorst(b, unit)) - amountOrder(shownWorst(a, unit)))
        .slice(0, 3)
        .map((v) => `${v.callee}: ${derive(v, unit)}`);
      if (unit === "wall") derivation.push(wallLine(this.wallPartsOf(decl)));
      this.report(module, "FL0403", decl.name.span, {
        message:
          total.kind === "unbounded"
            ? `\`${decl.name.name}\` may exceed its ${unit} budget: its worst case is unbounded (${total.cause.what})`
            : `\`${decl.name.name}\` may exceed its ${unit} budget: worst case ${C.formatValue(total.value, unit)} > ${C.formatValue(limit, unit)}`,
        label: "may exceed",
        secondary: [budgetLabel],
        help: `${derivation.join("; ")}. At run time flow stops dispatching at the ceiling; raise the budget, or bound the plan, to make it fit (\`--strict\` makes this an error)`,
        severity: this.options.strict ? "error" : "warning",
      });
    }
    this.workflows.push({ name: decl.name.name, decl, worst, wall: this.wallPartsOf(decl), ceiling, verdicts });
  }

  /** Its wall time's parts; a workflow that calls itself has no finite ones. */
  private wallPartsOf(decl: A.WorkflowDecl): WallParts {
    const worst = this.workflowTotal(decl).wall;
    return this.wallParts.get(decl) ?? { path: worst, work: worst };
  }

  private workflowTotal(decl: A.WorkflowDecl): C.CostVector {
    const known = this.workflowTotals.get(decl);
    if (known !== undefined) return known;
    const module = this.modules.get(decl)!;
    if (this.inProgress.has(decl)) {
      const cause: C.Amount = { kind: "unbounded", cause: { span: { file: module.path, ...decl.name.span }, what: `\`${decl.name.name}\` calls itself` } };
      this.recursion.add(cause.cause);
      return { tokens: cause, usd: cause, compute: cause, wall: cause };
    }
    this.inProgress.add(decl);
    const timing = this.block(decl.body, { workflow: decl, module, fanOut: [], multiplier: C.finite(1) }, C.zero, new Map());
    this.inProgress.delete(decl);
    const wall: WallParts = { path: timing.end, work: timing.sum.wall };
    this.wallParts.set(decl, wall);
    const total = { ...timing.sum, wall: wallTotal(wall) };
    this.workflowTotals.set(decl, total);
    return total;
  }

  /**
   * Costs and critical path of a workflow block, starting at `start`; `ready` holds when each `let` is done.
   * Every call in it is priced, wherever it stands: an `if` condition runs before either branch, a
   * `fail` message before the failure, and a barrier's own expressions (a `verify`'s check and
   * message, an `approve`'s `show` and `timeout`, a `sleep`'s duration, a signal's timeout) once
   * everything above it is done, one after another, before its wait begins.
   */
  private block(block: A.Block, place: Place, start: C.Amount, ready: Map<A.LetStmt, C.Amount>): Timing {
    let sum = C.zeroVector;
    let barrier = start;
    let end = start;
    const run = (expr: A.Expr): C.Amount => {
      const begins = C.max(barrier, this.dependencies(expr, ready));
      const timing = this.expr(expr, place, begins);
      sum = C.addVectors(sum, timing.sum);
      end = C.max(end, timing.end);
      return timing.end;
    };
    const pass = (exprs: readonly (A.Expr | null)[], wait: C.Amount): void => {
      let at = C.max(barrier, end);
      for (const expr of exprs) {
        if (expr === null) continue;
        const timing = this.expr(expr, place, C.max(at, this.dependencies(expr, ready)));
        sum = C.addVectors(sum, timing.sum);
        at = C.max(at, timing.end);
      }
      barrier = C.add(at, wait);
      end = C.max(end, barrier);
    };
    for (const stmt of block.stmts) {
      switch (stmt.kind) {
        case "LetStmt":
          if (stmt.value.kind === "WaitSignalExpr") {
            const timeout = stmt.value.timeout;
            pass([timeout], this.constantDuration(timeout ?? undefined) ?? this.unbounded(place, stmt.value.span, `\`wait signal\` ${timeout === null ? "without a timeout" : "for a time that is not a constant"}`));
            ready.set(stmt, barrier);
          } else ready.set(stmt, run(stmt.value));
          break;
        case "ExprStmt":
          run(stmt.expr);
          break;
        case "ReturnStmt":
          run(stmt.value);
          break;
        case "FailStmt":
          run(stmt.message);
          break;
        case "IfStmt": {
          const decided = run(stmt.cond);
          const then = this.block(stmt.then, place, decided, ready);
          const otherwise =
            stmt.else === null
              ? { sum: C.zeroVector, end: decided }
              : this.block(stmt.else.kind === "Block" ? stmt.else : { kind: "Block", stmts: [stmt.else], span: stmt.else.span }, place, decided, ready);
          sum = C.addVectors(sum, C.maxVectors(then.sum, otherwise.sum));
          end = C.max(end, C.max(then.end, otherwise.end));
          break;
        }
        case "VerifyStmt":
          pass([stmt.check, stmt.message], C.zero);
          break;
        case "ApproveStmt":
          pass(
            [stmt.show, stmt.timeout],
            this.constantDuration(stmt.timeout ?? undefined) ??
              this.unbounded(place, stmt.span, `\`approve "${textOf(stmt.name)}"\` ${stmt.timeout === null ? "without a timeout" : "with a timeout that is not a constant"}`),
          );
          break;
        case "SleepStmt":
          pass([stmt.duration], this.constantDuration(stmt.duration) ?? this.unbounded(place, stmt.duration.span, "`sleep` for a time that is not a constant"));
          break;
        case "CheckpointStmt":
          break;
      }
    }
    return { sum, end };
  }

  private unbounded(place: Place, span: Span, what: string): C.Amount {
    return { kind: "unbounded", cause: { span: { file: place.module.path, ...span }, what } };
  }

  /** When the values an expression reads are ready. */
  private dependencies(expr: A.Expr, ready: ReadonlyMap<A.LetStmt, C.Amount>): C.Amount {
    // Before the first `let` of a body (and of each fan-out's items) there is nothing to wait for.
    return ready.size === 0 ? C.zero : this.readiness.of(expr, ready);
  }

  /** An expression of a workflow: the vertices it calls, one after another, and the fan-outs in it. */
  private expr(expr: A.Expr, place: Place, start: C.Amount): Timing {
    let sum = C.zeroVector;
    let end = start;
    const visit = (e: A.Expr): void => {
      // Lambdas are pure (the effects phase says so): no vertex is called in one.
      if (e.kind !== "LambdaExpr") forEachSubExpression(e, visit);
      if (e.kind === "CallExpr") {
        const call = this.types.calls.get(e);
        if (call === undefined || call.decl.kind === "FnDecl") return;
        const vertex = this.vertex(e, call.decl, place);
        // One execution of this call: the fan-outs around it multiply what their bodies sum to.
        sum = C.addVectors(sum, { ...C.mapVector(vertex.perAttempt, (a) => C.times(C.finite(vertex.attempts), a)), wall: vertex.worst.wall });
        end = C.add(end, vertex.worst.wall);
      } else if (e.kind === "ForExpr") {
        const width = this.fanOutWidth(e, place.module, true);
        const concurrency = e.concurrency?.kind === "NumberLit" ? e.concurrency.value : undefined;
        const label = width.kind === "finite" ? `${C.formatAmount(width, "tokens")} ${expressionText(e.iterable)}` : `${expressionText(e.iterable)} (no bound)`;
        const inner: Place = { ...place, fanOut: [...place.fanOut, label], multiplier: C.times(place.multiplier, width) };
        // An item's times count from its own start, when every `let` outside the fan-out it reads is ready.
        const item = this.block(e.body, inner, C.zero, new Map());
        sum = C.addVectors(sum, C.mapVector(item.sum, (a) => C.times(width, a)));
        const rounds = width.kind === "finite" ? C.finite(Math.ceil(width.value / (concurrency ?? width.value) || 0)) : width;
        end = C.add(end, C.times(rounds, item.end));
      }
    };
    visit(expr);
    return { sum, end };
  }

  /** A call of a unit of work: one row of the cost table. */
  private vertex(call: A.CallExpr, decl: A.CallableDecl, place: Place): VertexCost {
    const one = this.attempt(decl);
    const retry = decl.clauses.find((c): c is A.RetryClause => c.kind === "RetryClause");
    const attempts = 1 + (retry?.attempts.value ?? 0);
    const waits = this.backoffWaits(retry);
    const perVertexWall = C.add(C.times(C.finite(attempts), one.wall), waits);
    const worst: C.CostVector = {
      tokens: C.times(place.multiplier, C.times(C.finite(attempts), one.tokens)),
      usd: C.times(place.multiplier, C.times(C.finite(attempts), one.usd)),
      compute: C.times(place.multiplier, C.times(C.finite(attempts), one.compute)),
      wall: perVertexWall,
    };
    const vertex: VertexCost = {
      workflow: place.workflow.name.name,
      callee: decl.name.name,
      call,
      fanOut: place.fanOut,
      multiplier: place.multiplier,
      attempts,
      perAttempt: one,
      worst,
    };
    this.vertices.push(vertex);
    const mine = this.verticesOf.get(vertex.workflow);
    if (mine === undefined) this.verticesOf.set(vertex.workflow, [vertex]);
    else mine.push(vertex);
    return vertex;
  }

  /** The longest the retries of one vertex wait between attempts. */
  private backoffWaits(retry: A.RetryClause | undefined): C.Amount {
    if (retry === undefined || retry.backoff === null) return C.zero;
    const base = this.constantDuration(retry.backoff.base);
    const cap = this.constantDuration(retry.backoff.cap ?? undefined);
    if (base === undefined || base.kind !== "finite") return C.zero;
    const capValue = cap?.kind === "finite" ? cap.value : Infinity;
    let total = 0;
    for (let i = 0; i < retry.attempts.value; i++) {
      const strategy = retry.backoff.strategy.name;
      const delay = strategy === "exp" ? base.value * 2 ** i : strategy === "linear" ? base.value * (i + 1) : base.value;
      total += Math.min(delay, capValue);
    }
    return C.finite(total);
  }

  private report(module: Module, code: DiagnosticCode, span: Span, text: { message: string; label: string; help?: string; secondary?: { span: Span; label: string }[]; severity?: "warning" | "error" }): void {
    const diagnostic = syntaxError(module.source, code, span, text);
    this.diagnostics.push(text.severity === "warning" ? { ...diagnostic, severity: "warning" } : diagnostic);
    if (code === "FL0401") this.unboundedFanOuts.push(diagnostic);
  }
}

/**
 * When the `let`s an expression reads are ready: the latest of them. Every
 * name under it counts, in nested blocks and lambdas too: names stand only
 * in expressions, which stand in expressions, statements and strings (types
 * hold none), so the walk goes through those. One walker serves the whole
 * analysis, so that a walk allocates nothing per expression.
 */
class Readiness implements StatementParts {
  private ready: ReadonlyMap<A.LetStmt, C.Amount> = new Map();
  private at: C.Amount = C.zero;
  private readonly visit = (e: A.Expr): void => this.expr(e);

  constructor(private readonly names: NameResolution) {}

  of(expr: A.Expr, ready: ReadonlyMap<A.LetStmt, C.Amount>): C.Amount {
    this.ready = ready;
    this.at = C.zero;
    this.expr(expr);
    return this.at;
  }

  expr(e: A.Expr): void {
    if (e.kind === "NameExpr") {
      const binding = this.names.references.get(e);
      if (binding?.kind === "let") this.at = C.max(this.at, this.ready.get(binding.stmt) ?? C.zero);
      return;
    }
    forEachSubExpression(e, this.visit);
    if (e.kind === "ForExpr") this.block(e.body);
    else if (e.kind === "WaitSignalExpr") this.expr(e.name);
  }

  block(block: A.Block): void {
    for (const stmt of block.stmts) this.stmt(stmt);
  }

  stmt(stmt: A.Stmt): void {
    forEachStatementPart(stmt, this);
  }
}

/** One line of a verdict's derivation: `migrate_package: 200 pkgs × 4 attempts × 2h = 1600h`. */
export function derive(v: VertexCost, unit: C.Unit): string {
  const parts = [...v.fanOut, ...(v.attempts > 1 ? [`${v.attempts} attempts`] : []), C.formatAmount(v.perAttempt[unit], unit)];
  return `${parts.join(" × ")}${unit === "wall" ? backoffText(v) : ""} = ${C.formatAmount(shownWorst(v, unit), unit)}`;
}

/** What a derivation line adds up to: the vertex's worst case; for wall time, which is per instance, all instances' (vertex time for the slots). */
function shownWorst(v: VertexCost, unit: C.Unit): C.Amount {
  return unit === "wall" ? C.times(v.multiplier, v.worst.wall) : v.worst[unit];
}

/** What a vertex's retries wait between attempts, beyond the attempts themselves: ` + 1m backoff`, or nothing. */
function backoffText(v: VertexCost): string {
  const attemptsTime = C.times(C.finite(v.attempts), v.perAttempt.wall);
  const backoff = v.worst.wall.kind === "finite" && attemptsTime.kind === "finite" ? v.worst.wall.value - attemptsTime.value : 0;
  return backoff > 0 ? ` + ${C.formatValue(backoff, "wall")} backoff` : "";
}

function amountOrder(a: C.Amount): number {
  return a.kind === "finite" ? a.value : Infinity;
}

function unitNoun(unit: C.Unit): string {
  return unit === "tokens" ? "tokens" : unit === "usd" ? "" : `of ${unit}`;
}

/** No budget bounds a workflow that calls itself: the plan itself is endless. */
const recursionHelp = "a workflow cannot call itself, directly or through another: remove the call, or do the repeated work in a `for` over a bounded list";

function boundHelp(unit: C.Unit): string {
  switch (unit) {
    case "tokens":
      return "give the agent a `budget { tokens: … }`";
    case "usd":
      return "give the agent a `budget { usd: … }`";
    case "compute":
      return "give the node a `budget { compute: … }`, or its steps a `timeout:`";
    case "wall":
      return "give it a `timeout`, or a `budget { wall: … }`";
  }
}

function textOf(s: A.StringLit): string {
  return s.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
}

function expressionText(expr: A.Expr): string {
  switch (expr.kind) {
    case "NameExpr":
      return expr.name;
    case "FieldExpr":
      return `${expressionText(expr.object)}.${expr.field.name}`;
    case "CallExpr":
      return `${expressionText(expr.callee)}(…)`;
    default:
      return "the list";
  }
}

function elementName(type: import("./types.ts").Type): string {
  return "name" in type && typeof type.name === "string" && type.kind !== "primitive" ? type.name : type.kind === "primitive" ? type.name : "T";
}
