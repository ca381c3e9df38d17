import type { Expr, Stmt } from "../ir/body.ts";
import type { JsonSchema } from "../ir/json-schema.ts";
import type { Span } from "../ir/span.ts";
import type { Param } from "../ir/unit.ts";
import { deriveType, unfold } from "./derive-type.ts";
import type { IrIndex, WorkflowIndex } from "./ir-index.ts";
import { Narrowing } from "./narrowing.ts";
import type { Problems } from "./problem.ts";
import { barrierExprs } from "./barrier-exprs.ts";
import type { SchemaSubset } from "./schema-subset.ts";
import { sameJson } from "./same-json.ts";
import { showType } from "./show-type.ts";
import { fits } from "./subsumption.ts";
import { topScope, walkExpr, walkStmts, type Visitor } from "./walk.ts";

/**
 * FL0508: every schema in the IR is one the verifier reasons about
 * (schema-subset.ts): the types, every signature, argument, edge, fan-out
 * list and signal, and the types written in bodies (`let x: T`, `as T`).
 */
export function checkSchemas(index: IrIndex, subset: SchemaSubset): void {
  const { ir } = index;
  for (const [name, schema] of Object.entries(ir.types)) subset.check(schema, index.at("types", name), null, `the type \`${name}\``);
  const signature = (params: readonly Param[], result: JsonSchema, path: string, span: Span, owner: string) => {
    params.forEach((p, i) => subset.check(p.type, `${path}/params/${i}/type`, p.span, `the parameter \`${p.name}\` of \`${owner}\``));
    subset.check(result, `${path}/result`, span, `the result of \`${owner}\``);
  };
  const written: Visitor = {
    stmt: (stmt: Stmt, at) => {
      if (stmt.kind === "let" && stmt.type !== null) subset.check(stmt.type, `${at}/type`, stmt.span, `the type of \`let ${stmt.name}\``);
    },
    expr: (expr: Expr, at) => {
      if (expr.kind === "cast") {
        subset.check(expr.from, `${at}/from`, expr.span, "the type a conversion (`as`) converts");
        subset.check(expr.to, `${at}/to`, expr.span, "the type of a conversion (`as`)");
      }
    },
  };
  ir.units.forEach((unit, i) => {
    const path = index.at("units", i);
    signature(unit.params, unit.result, path, unit.span, unit.name);
    if (unit.kind !== "agent") walkStmts(unit.body, `${path}/body`, topScope, written);
  });
  for (const graph of index.graphs) {
    const { workflow, path } = graph;
    signature(workflow.params, workflow.result, path, workflow.span, workflow.name);
    walkStmts(workflow.body, `${path}/body`, topScope, written);
    workflow.vertices.forEach((v, j) =>
      v.args.forEach((a, k) => {
        subset.check(a.type, `${path}/vertices/${j}/args/${k}/type`, v.span, `the type of the argument \`${a.param}\` of the vertex \`${v.id}\``);
        walkExpr(a.value, `${path}/vertices/${j}/args/${k}/value`, topScope, written);
      }),
    );
    workflow.edges.forEach((e, j) => subset.check(e.type, `${path}/edges/${j}/type`, graph.vertices.get(e.to)?.value.span ?? null, `the type of the edge into \`${e.to}\`'s \`${e.param}\``));
    workflow.fanOuts.forEach((f, j) => subset.check(f.list, `${path}/fanOuts/${j}/list`, f.span, `the list of the fan-out \`${f.id}\``));
    workflow.barriers.forEach((b, j) => {
      if (b.kind === "signal") subset.check(b.type, `${path}/barriers/${j}/type`, b.span, `the type of the signal \`${b.id}\``);
      for (const [key, expr] of barrierExprs(b)) walkExpr(expr, `${path}/barriers/${j}/${key}`, topScope, written);
    });
  }
}

/**
 * FL0507: every value that crosses into a unit fits the parameter that
 * receives it. For each vertex, every argument's type fits its parameter's
 * schema and every parameter that is not optional is passed; each edge
 * carries exactly the type of the argument it feeds; where the IR alone
 * says what a value is (derive-type.ts), that fits the type recorded for
 * it; each fan-out iterates a list; a workflow returns what its result
 * says. Schemas outside the subset were refused by `checkSchemas` and are
 * not compared.
 */
export function checkValueTypes(index: IrIndex, subset: SchemaSubset, problems: Problems): void {
  for (const graph of index.graphs) {
    const narrowing = new Narrowing(graph.workflow);
    vertexArguments(index, graph, subset, narrowing, problems);
    edges(index, graph, subset, problems);
    fanOutLists(index, graph, subset, narrowing, problems);
    returns(index, graph, subset, narrowing, problems);
  }
}

function comparable(subset: SchemaSubset, ...schemas: readonly JsonSchema[]): boolean {
  return schemas.every((s) => subset.supported(s));
}

function paramsOf(index: IrIndex, unit: string): readonly Param[] | undefined {
  const callee = index.callee(unit);
  return callee === undefined ? undefined : callee.kind === "unit" ? callee.unit.params : callee.workflow.params;
}

function vertexArguments(index: IrIndex, graph: WorkflowIndex, subset: SchemaSubset, narrowing: Narrowing, problems: Problems): void {
  const { workflow, path } = graph;
  workflow.vertices.forEach((v, j) => {
    const params = paramsOf(index, v.unit);
    if (params === undefined) return;
    const at = `${path}/vertices/${j}`;
    for (const param of params) {
      if (!param.optional && !v.args.some((a) => a.param === param.name))
        problems.add("FL0507", `${at}/args`, v.span, `in \`${workflow.name}\`, the vertex \`${v.id}\` does not pass \`${param.name}\`, which \`${v.unit}\` requires`);
    }
    v.args.forEach((a, k) => {
      const param = params.find((p) => p.name === a.param);
      if (param === undefined) return;
      if (comparable(subset, a.type, param.type) && !fits(a.type, param.type, subset))
        problems.add(
          "FL0507",
          `${at}/args/${k}/type`,
          a.value.span,
          `in \`${workflow.name}\`, the vertex \`${v.id}\` passes \`${showType(a.type)}\` to \`${a.param}\`, and the parameter of \`${v.unit}\` is \`${showType(param.type)}\``,
        );
      const derived = deriveType(a.value, graph, index, subset, narrowing.vertex(v.id));
      if (derived !== undefined && comparable(subset, derived, a.type) && !fits(derived, a.type, subset))
        problems.add(
          "FL0507",
          `${at}/args/${k}/type`,
          a.value.span,
          `in \`${workflow.name}\`, the argument \`${a.param}\` of the vertex \`${v.id}\` is recorded as \`${showType(a.type)}\`, and its value is \`${showType(derived)}\``,
        );
    });
  });
}

function edges(index: IrIndex, graph: WorkflowIndex, subset: SchemaSubset, problems: Problems): void {
  const { workflow, path } = graph;
  workflow.edges.forEach((e, j) => {
    const vertex = graph.vertices.get(e.to)?.value;
    const arg = vertex?.args.find((a) => a.param === e.param);
    if (vertex === undefined || arg === undefined) return;
    if (sameJson(e.type, arg.type)) return;
    const param = paramsOf(index, vertex.unit)?.find((p) => p.name === e.param);
    const fitsParam = param === undefined || !comparable(subset, e.type, param.type) || fits(e.type, param.type, subset);
    problems.add(
      "FL0507",
      `${path}/edges/${j}/type`,
      arg.value.span,
      `in \`${workflow.name}\`, the edge into \`${e.to}\`'s \`${e.param}\` carries \`${showType(e.type)}\`, and the argument it feeds is \`${showType(arg.type)}\`${fitsParam ? "" : `; it does not fit the parameter, \`${showType(param!.type)}\`, either`}`,
      "an edge's type is the type of the argument it feeds, the value validated against the parameter",
    );
  });
}

function fanOutLists(index: IrIndex, graph: WorkflowIndex, subset: SchemaSubset, narrowing: Narrowing, problems: Problems): void {
  const { workflow, path } = graph;
  workflow.fanOuts.forEach((f, j) => {
    if (!comparable(subset, f.list)) return;
    const list = unfold(f.list, subset);
    if (list?.type !== "array") {
      problems.add("FL0507", `${path}/fanOuts/${j}/list`, f.span, `in \`${workflow.name}\`, the fan-out \`${f.id}\` iterates \`${showType(f.list)}\`, which is not a list`);
      return;
    }
    const loop = graph.fors.get(f.id)?.value;
    const derived = loop === undefined ? undefined : deriveType(loop.over, graph, index, subset, narrowing.fanOut(f.id));
    if (derived !== undefined && comparable(subset, derived) && !fits(derived, f.list, subset))
      problems.add(
        "FL0507",
        `${path}/fanOuts/${j}/list`,
        loop!.over.span,
        `in \`${workflow.name}\`, the fan-out \`${f.id}\` says it iterates \`${showType(f.list)}\`, and its list is \`${showType(derived)}\``,
      );
  });
}

function returns(index: IrIndex, graph: WorkflowIndex, subset: SchemaSubset, narrowing: Narrowing, problems: Problems): void {
  const { workflow, path } = graph;
  if (!comparable(subset, workflow.result)) return;
  walkStmts(workflow.body, `${path}/body`, topScope, {
    stmt: (stmt, at) => {
      if (stmt.kind !== "return") return;
      const derived = deriveType(stmt.value, graph, index, subset, narrowing.return(stmt));
      if (derived !== undefined && comparable(subset, derived) && !fits(derived, workflow.result, subset))
        problems.add("FL0507", `${at}/value`, stmt.value.span, `\`${workflow.name}\` returns \`${showType(derived)}\`, and its result is \`${showType(workflow.result)}\``);
    },
    // Nothing in an expression returns from the workflow.
    expr: () => false,
  });
}
