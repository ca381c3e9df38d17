import type * as A from "../language/ast.ts";
import { hasErrors } from "../language/diagnostics/diagnostic.ts";
import { priceOf, priceTableVersion } from "../stdlib/prices.ts";
import type { VertexCost, WorkflowCost } from "./analyse-budgets.ts";
import type { CheckResult } from "./compile.ts";
import type { EffectsResult } from "./check-effects.ts";
import { sha256Hex } from "./ir/hash.ts";
import type { Ir } from "./ir/schema.ts";
import { irVersion } from "./ir/version.ts";
import type { Param } from "./ir/unit.ts";
import type { Retry, Route, Unit } from "./ir/unit.ts";
import type { Workflow } from "./ir/workflow.ts";
import { BodyLowerer } from "./lower/bodies.ts";
import { WorkflowGraph } from "./lower/workflow-graph.ts";
import { budgetCeilings, clauseEffects, clauseOf, constantText, effectList } from "./lower/clauses.ts";
import type { LowerContext } from "./lower/context.ts";
import { budget, vector, verdicts } from "./lower/costs.ts";
import { DeclarationNames } from "./lower/ids.ts";
import { OpTable } from "./lower/ops.ts";
import { irPaths } from "./lower/paths.ts";
import { TypeSchemas } from "./lower/type-schemas.ts";
import type { Module } from "./modules.ts";
import type { Signature } from "./signatures.ts";
import { AnnotationTypes } from "./type-of-annotation.ts";

/**
 * Lowers a program that checked clean to its IR (compiler/ir/schema.ts,
 * docs/ir.md): the declarations of its files, in load order and source
 * order, with types as JSON Schema, bodies as instruction trees, and each
 * workflow's DAG priced by the budget analysis. Nothing is re-derived here
 * that a phase already decided: names, types, calls, effects and costs
 * come from the check.
 */
export function lower(check: CheckResult): Ir {
  const { graph, names, types, effects, budgets } = check;
  if (
    hasErrors(check.diagnostics) ||
    names === undefined ||
    types === undefined ||
    effects === undefined ||
    budgets === undefined
  ) {
    throw new Error("lower: only a program that checks without errors is lowered");
  }
  const modules = [...graph.modules.values()];
  const user = modules.filter((m) => m.std === undefined);
  const path = irPaths(graph);

  const unitNames = new DeclarationNames<A.CallableDecl>();
  const routeNames = new DeclarationNames<A.ModelsDecl | A.AgentDecl>();
  for (const module of user) {
    for (const decl of module.parsed.program.decls) {
      if (decl.kind === "NodeDecl" || decl.kind === "AgentDecl" || decl.kind === "VerifierDecl" || decl.kind === "WorkflowDecl")
        unitNames.claim(decl, decl.name.name);
    }
  }

  const annotations = new AnnotationTypes(names.references);
  const schemas = new TypeSchemas();
  // Every declared type claims its name in load order before any is written, so which of two `Release`s
  // is `Release-2` never depends on which was used first. Std types are written only when used.
  for (const module of [...user, ...modules.filter((m) => m.std !== undefined)]) {
    for (const decl of module.parsed.program.decls)
      if (decl.kind === "TypeDecl") schemas.declare(annotations.declared(decl), false);
  }
  for (const module of user) {
    for (const decl of module.parsed.program.decls)
      if (decl.kind === "TypeDecl") schemas.declare(annotations.declared(decl), true);
  }

  const context: LowerContext = {
    names,
    types,
    annotations,
    schemas,
    ops: new OpTable(graph),
    path,
    unitName: (decl) => unitNames.claim(decl, decl.name.name),
  };
  const vertexCosts = new Map<A.CallExpr, VertexCost>();
  for (const v of budgets.vertices) if (!vertexCosts.has(v.call)) vertexCosts.set(v.call, v);
  const workflowCosts = new Map<A.WorkflowDecl, WorkflowCost>(budgets.workflows.map((w) => [w.decl, w]));

  const routes: Route[] = [];
  const units: Unit[] = [];
  const workflows: Workflow[] = [];
  for (const module of user) {
    for (const decl of module.parsed.program.decls) {
      switch (decl.kind) {
        case "ModelsDecl":
          routes.push(
            route(routeNames.claim(decl, decl.name.name), decl.models, new BodyLowerer(context, module, null).span(decl.span)),
          );
          break;
        case "NodeDecl":
        case "AgentDecl":
        case "VerifierDecl":
          units.push(lowerUnit(decl, module, context, effects, routes, routeNames));
          break;
        case "WorkflowDecl":
          workflows.push(lowerWorkflow(decl, module, context, vertexCosts, workflowCosts.get(decl)!));
          break;
        case "ImportDecl":
        case "TypeDecl":
        case "FnDecl":
          break;
      }
    }
  }

  return {
    irVersion,
    entry: path(graph.entry.path),
    sources: user.map((m) => ({ path: path(m.path), sha256: sha256Hex(m.source.text), lines: [...m.source.lineStarts()] })),
    priceTable: priceTableVersion,
    types: schemas.table,
    routes,
    ops: context.ops.list(),
    units,
    workflows,
  };
}

function route(id: string, models: readonly A.StringLit[], span: Route["span"]): Route {
  return {
    id,
    span,
    models: models.map((m) => {
      const model = constantText(m);
      const price = priceOf(model);
      return { id: model, price: price === undefined ? null : { input: price.input, output: price.output } };
    }),
  };
}

/** A signature's parameters and result; those written in place are named after the boundary (`review.diff`). */
function signatureOf(
  name: string,
  decl: A.CallableDecl,
  signature: Signature,
  lowerer: BodyLowerer,
): { params: Param[]; result: Unit["result"] } {
  const schemas = lowerer.context.schemas;
  const params = decl.params.map((p, i) => {
    const param = signature.params[i]!;
    return {
      name: param.name,
      type: schemas.boundarySchema(param.type, `${name}.${param.name}`),
      optional: param.optional,
      span: lowerer.span(p.span),
    };
  });
  return { params, result: schemas.boundarySchema(signature.result, `${name}.result`) };
}

function lowerUnit(
  decl: A.NodeDecl | A.AgentDecl | A.VerifierDecl,
  module: Module,
  context: LowerContext,
  effects: EffectsResult,
  routes: Route[],
  routeNames: DeclarationNames<A.ModelsDecl | A.AgentDecl>,
): Unit {
  const name = context.unitName(decl);
  const lowerer = new BodyLowerer(context, module, null);
  const retryClause = clauseOf(decl, "RetryClause");
  const timeout = clauseOf(decl, "TimeoutClause");
  const gate = clauseOf(decl, "GateClause");
  const sandbox = clauseOf(decl, "SandboxClause");
  const retry: Retry | null =
    retryClause === undefined
      ? null
      : {
          attempts: 1 + retryClause.attempts.value,
          backoff:
            retryClause.backoff === null
              ? null
              : {
                  strategy: retryClause.backoff.strategy.name as "exp" | "linear" | "fixed",
                  base: lowerer.expr(retryClause.backoff.base),
                  cap: retryClause.backoff.cap === null ? null : lowerer.expr(retryClause.backoff.cap),
                },
          on: retryClause.on === null ? null : retryClause.on.map((k) => k.name),
          span: lowerer.span(retryClause.span),
        };
  const common = {
    name,
    span: lowerer.span(decl.span),
    ...signatureOf(name, decl, context.types.signatures.get(decl)!, lowerer),
    effects: clauseEffects(clauseOf(decl, "EffectsClause")),
    uses: effectList(effects.effects.get(decl)!),
    budget: budget(budgetCeilings(clauseOf(decl, "BudgetClause"))),
    retry,
    timeout: timeout === undefined ? null : lowerer.expr(timeout.duration),
    gate: gate === undefined ? null : constantText(gate.name),
    sandbox: sandbox === undefined ? null : constantText(sandbox.profile),
  };
  switch (decl.kind) {
    case "NodeDecl":
      return { kind: "node", ...common, body: lowerer.block(decl.body) };
    case "VerifierDecl":
      return { kind: "verifier", ...common, body: lowerer.block(decl.body) };
    case "AgentDecl": {
      const models = clauseOf(decl, "ModelsClause");
      let routeId: string | null = null;
      if (models?.route.kind === "ListExpr") {
        routeId = routeNames.claim(decl, `${name}.models`);
        const items = models.route.items.filter((i): i is A.StringLit => i.kind === "StringLit");
        routes.push(route(routeId, items, lowerer.span(models.route.span)));
      } else if (models !== undefined) {
        const binding = context.names.references.get(models.route);
        if (binding?.kind === "declaration" && binding.decl.kind === "ModelsDecl")
          routeId = routeNames.claim(binding.decl, binding.decl.name.name);
      }
      const tools = (clauseOf(decl, "ToolsClause")?.tools ?? []).map((tool) => {
        const binding = context.names.references.get(tool);
        if (binding?.kind !== "declaration" || binding.decl.kind !== "FnDecl")
          throw new Error(`internal: the tool \`${tool.parts.map((p) => p.name).join(".")}\` is not a std step`);
        return context.ops.idOf(binding.decl);
      });
      const prompt = clauseOf(decl, "PromptClause");
      if (prompt === undefined) throw new Error(`internal: the agent \`${name}\` has no prompt`);
      return { kind: "agent", ...common, route: routeId, tools, prompt: lowerer.string(prompt.text) };
    }
  }
}

function lowerWorkflow(
  decl: A.WorkflowDecl,
  module: Module,
  context: LowerContext,
  vertexCosts: ReadonlyMap<A.CallExpr, VertexCost>,
  cost: WorkflowCost,
): Workflow {
  const name = context.unitName(decl);
  const graph = new WorkflowGraph(vertexCosts);
  const lowerer = new BodyLowerer(context, module, graph);
  const timeout = clauseOf(decl, "TimeoutClause");
  const signature = signatureOf(name, decl, context.types.signatures.get(decl)!, lowerer);
  const grants = clauseEffects(clauseOf(decl, "GrantsClause"));
  const timeoutExpr = timeout === undefined ? null : lowerer.expr(timeout.duration);
  const body = lowerer.block(decl.body);
  const priced = graph.calls.map((call) => vertexCosts.get(call)!);
  return {
    name,
    span: lowerer.span(decl.span),
    ...signature,
    grants,
    budget: budget(cost.ceiling),
    timeout: timeoutExpr,
    body,
    vertices: graph.vertices,
    edges: graph.edges,
    fanOuts: graph.fanOuts,
    lets: graph.lets,
    barriers: graph.barriers,
    cost: { worst: vector(cost.worst, context.path), verdicts: verdicts(cost, priced, context.path) },
  };
}
