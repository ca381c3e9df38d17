import { stdModules } from "../../stdlib/index.ts";
import type { Expr, Stmt } from "../ir/body.ts";
import type { Span } from "../ir/span.ts";
import type { Param } from "../ir/unit.ts";
import type { Source } from "../ir/workflow.ts";
import type { IrIndex, WorkflowIndex } from "./ir-index.ts";
import { pointer, type Problems } from "./problem.ts";
import { barrierExprs } from "./barrier-exprs.ts";
import { describeSource, sourceResolves } from "./sources.ts";
import { topScope, walkExpr, walkStmts, type Scope, type Visitor } from "./walk.ts";

/**
 * FL0504: every reference resolves. A vertex names a unit or workflow of
 * the right kind and binds only its parameters; edges, fan-outs, `let`s and
 * barriers read values that exist; `after`, `fanOut` and `parent` name
 * barriers and fan-outs of the same workflow; in bodies, every name refers
 * to a parameter, a `let` of the same declaration or the item of a `for`
 * around it, every call to an op, every vertex, barrier and signal to an
 * entry of the workflow's graph; agents name routes and ops; spans name
 * the program's files; and types in schemas (`$ref`) are checked with the
 * schemas (schema-subset.ts).
 */
export function checkReferences(index: IrIndex, problems: Problems): void {
  const { ir } = index;
  if (!index.sources.has(ir.entry))
    problems.add("FL0504", index.at("entry"), null, `the entry file \`${ir.entry}\` is not one of the IR's sources`);
  spanFiles(index, problems);

  for (const [i, unit] of ir.units.entries()) {
    const path = index.at("units", i);
    const names: NameScope = { owner: `the ${unit.kind} \`${unit.name}\``, params: unit.params, lets: index.unitLets.get(unit.name) ?? new Set(), graph: undefined };
    const visit = bodyVisitor(index, names, problems);
    if (unit.timeout !== null) walkExpr(unit.timeout, `${path}/timeout`, topScope, visit);
    if (unit.retry?.backoff != null) {
      walkExpr(unit.retry.backoff.base, `${path}/retry/backoff/base`, topScope, visit);
      if (unit.retry.backoff.cap !== null) walkExpr(unit.retry.backoff.cap, `${path}/retry/backoff/cap`, topScope, visit);
    }
    if (unit.kind === "agent") {
      walkExpr(unit.prompt, `${path}/prompt`, topScope, visit);
      if (unit.route !== null && !index.routes.has(unit.route))
        problems.add("FL0504", `${path}/route`, unit.span, `the agent \`${unit.name}\` uses the route \`${unit.route}\`, which is not in \`routes\``);
      unit.tools.forEach((tool, j) => {
        const op = index.ops.get(tool);
        if (op === undefined)
          problems.add("FL0504", `${path}/tools/${j}`, unit.span, `the agent \`${unit.name}\` has the tool \`${tool}\`, which is not in \`ops\``);
        else if (op.value.kind !== "step")
          problems.add("FL0504", `${path}/tools/${j}`, unit.span, `the agent \`${unit.name}\` has the tool \`${tool}\`, which is a function, not a step`);
      });
    } else walkStmts(unit.body, `${path}/body`, topScope, visit);
  }

  for (const graph of index.graphs) workflowReferences(index, graph, problems);
}

interface NameScope {
  readonly owner: string;
  readonly params: readonly Param[];
  readonly lets: ReadonlySet<string>;
  /** The workflow's graph, for a workflow's expressions; units have none. */
  readonly graph: WorkflowIndex | undefined;
}

function workflowReferences(index: IrIndex, graph: WorkflowIndex, problems: Problems): void {
  const { workflow, path } = graph;
  const names: NameScope = { owner: `the workflow \`${workflow.name}\``, params: workflow.params, lets: new Set(graph.letStmts.keys()), graph };
  const visit = bodyVisitor(index, names, problems);
  const where = `in \`${workflow.name}\``;
  const source = (s: Source, at: string, span: Span | null, reader: string): void => {
    if (!sourceResolves(s, graph)) problems.add("FL0504", at, span, `${where}, ${reader} reads ${describeSource(s)}, which is not in the workflow`);
  };
  const fanOut = (id: string | null, at: string, span: Span | null, who: string): void => {
    if (id !== null && !graph.fanOuts.has(id)) problems.add("FL0504", at, span, `${where}, ${who} is in the fan-out \`${id}\`, which is not in \`fanOuts\``);
  };
  const after = (id: string | null, at: string, span: Span | null, who: string): void => {
    if (id !== null && !graph.barriers.has(id)) problems.add("FL0504", at, span, `${where}, ${who} waits for the barrier \`${id}\`, which is not in \`barriers\``);
  };
  // Arguments and barriers are evaluated where their vertex or barrier stands: the `for`s around it are in scope.
  const scopeIn = (id: string | null): Scope => {
    const fors: string[] = [];
    for (let at = id, guard = 0; at !== null && guard <= graph.fanOuts.size; guard++) {
      fors.unshift(at);
      at = graph.fanOuts.get(at)?.value.parent ?? null;
    }
    return { fors, lambda: false };
  };

  if (workflow.timeout !== null) walkExpr(workflow.timeout, `${path}/timeout`, topScope, visit);
  walkStmts(workflow.body, `${path}/body`, topScope, visit);

  workflow.vertices.forEach((v, j) => {
    const at = `${path}/vertices/${j}`;
    const who = `the vertex \`${v.id}\``;
    const callee = index.callee(v.unit);
    if (callee === undefined) problems.add("FL0504", `${at}/unit`, v.span, `${where}, ${who} calls \`${v.unit}\`, which is neither a unit nor a workflow of the IR`);
    else {
      const kind = callee.kind === "unit" ? callee.unit.kind : "workflow";
      if (kind !== v.kind) problems.add("FL0504", `${at}/kind`, v.span, `${where}, ${who} says it calls a ${v.kind}, and \`${v.unit}\` is a ${kind}`);
      const params = callee.kind === "unit" ? callee.unit.params : callee.workflow.params;
      v.args.forEach((a, k) => {
        if (!params.some((p) => p.name === a.param))
          problems.add("FL0504", `${at}/args/${k}/param`, v.span, `${where}, ${who} passes \`${a.param}\`, which is not a parameter of \`${v.unit}\``);
      });
    }
    fanOut(v.fanOut, `${at}/fanOut`, v.span, who);
    after(v.after, `${at}/after`, v.span, who);
    v.args.forEach((a, k) => walkExpr(a.value, `${at}/args/${k}/value`, scopeIn(v.fanOut), visit));
  });

  workflow.edges.forEach((e, j) => {
    const at = `${path}/edges/${j}`;
    const target = graph.vertices.get(e.to);
    if (target === undefined) {
      problems.add("FL0504", `${at}/to`, null, `${where}, an edge leads to the vertex \`${e.to}\`, which is not in \`vertices\``);
      return;
    }
    source(e.from, `${at}/from`, target.value.span, `the edge to \`${e.to}\`'s \`${e.param}\``);
    const callee = index.callee(target.value.unit);
    const params = callee === undefined ? undefined : callee.kind === "unit" ? callee.unit.params : callee.workflow.params;
    if (params !== undefined && !params.some((p) => p.name === e.param))
      problems.add("FL0504", `${at}/param`, target.value.span, `${where}, an edge leads to \`${e.param}\` of \`${e.to}\`, and \`${target.value.unit}\` has no such parameter`);
  });

  workflow.fanOuts.forEach((f, j) => {
    const at = `${path}/fanOuts/${j}`;
    const who = `the fan-out \`${f.id}\``;
    fanOut(f.parent, `${at}/parent`, f.span, who);
    f.reads.forEach((r, k) => source(r, `${at}/reads/${k}`, f.span, who));
  });

  workflow.lets.forEach((l, j) => {
    const at = `${path}/lets/${j}`;
    const who = `the let \`${l.id}\``;
    fanOut(l.fanOut, `${at}/fanOut`, l.span, who);
    l.reads.forEach((r, k) => source(r, `${at}/reads/${k}`, l.span, who));
  });

  workflow.barriers.forEach((b, j) => {
    const at = `${path}/barriers/${j}`;
    const who = `the barrier \`${b.id}\``;
    fanOut(b.fanOut, `${at}/fanOut`, b.span, who);
    after(b.after, `${at}/after`, b.span, who);
    b.reads.forEach((r, k) => source(r, `${at}/reads/${k}`, b.span, who));
    for (const [key, expr] of barrierExprs(b)) walkExpr(expr, `${at}/${key}`, scopeIn(b.fanOut), visit);
  });
}

function bodyVisitor(index: IrIndex, names: NameScope, problems: Problems): Visitor {
  const { graph, owner } = names;
  const lambdaParams: (readonly string[])[] = [];
  const visitor: Visitor = {
    stmt: (stmt: Stmt, at) => {
      if (stmt.kind !== "barrier") return;
      if (graph === undefined) problems.add("FL0504", at, stmt.span, `${owner} passes the barrier \`${stmt.barrier}\`, but barriers are in workflows only`);
      else {
        const barrier = graph.barriers.get(stmt.barrier);
        if (barrier === undefined || barrier.value.kind === "signal")
          problems.add("FL0504", `${at}/barrier`, stmt.span, `${owner} passes the barrier \`${stmt.barrier}\`, which is not a verify, approve or sleep of \`barriers\``);
      }
    },
    expr: (expr: Expr, at, scope) => {
      switch (expr.kind) {
        case "name": {
          const ref = expr.ref;
          if (ref.kind === "param" && !names.params.some((p) => p.name === expr.name))
            problems.add("FL0504", at, expr.span, `${owner} reads \`${expr.name}\` as a parameter, and it has no parameter \`${expr.name}\``);
          else if (ref.kind === "let" && !names.lets.has(ref.let))
            problems.add("FL0504", at, expr.span, `${owner} reads \`${expr.name}\` as the let \`${ref.let}\`, and it has no such let`);
          else if (ref.kind === "item" && !scope.fors.includes(ref.for))
            problems.add("FL0504", at, expr.span, `${owner} reads \`${expr.name}\` as the item of \`for ${ref.for}\`, and no such \`for\` is around it`);
          else if (ref.kind === "lambda" && (!scope.lambda || !lambdaParams.some((ps) => ps.includes(expr.name))))
            problems.add("FL0504", at, expr.span, `${owner} reads \`${expr.name}\` as a lambda's parameter, and no lambda around it has one`);
          break;
        }
        case "lambda":
          // Its parameters are in scope in its body only.
          lambdaParams.push(expr.params);
          walkExpr(expr.body, `${at}/body`, { ...scope, lambda: true }, visitor);
          lambdaParams.pop();
          return false;
        case "call":
          if (!index.ops.has(expr.op)) problems.add("FL0504", `${at}/op`, expr.span, `${owner} calls the op \`${expr.op}\`, which is not in \`ops\``);
          break;
        case "vertex":
          if (graph === undefined) problems.add("FL0504", at, expr.span, `${owner} calls the vertex \`${expr.vertex}\`, but only workflows call units`);
          else if (!graph.vertices.has(expr.vertex))
            problems.add("FL0504", `${at}/vertex`, expr.span, `${owner} calls the vertex \`${expr.vertex}\`, which is not in \`vertices\``);
          break;
        case "signal":
          if (graph?.barriers.get(expr.barrier)?.value.kind !== "signal")
            problems.add("FL0504", `${at}/barrier`, expr.span, `${owner} waits for the signal \`${expr.barrier}\`, which is not a signal of \`barriers\``);
          break;
        case "for":
          if (graph !== undefined && !graph.fanOuts.has(expr.id))
            problems.add("FL0504", at, expr.span, `${owner} fans out with \`for ${expr.binding}\` (\`${expr.id}\`), which has no template in \`fanOuts\``);
          break;
        default:
          break;
      }
      return true;
    },
  };
  return visitor;
}

/** Every span names one of the program's files (or a std module) and runs forwards; an unknown file is reported once. */
function spanFiles(index: IrIndex, problems: Problems): void {
  const reported = new Set<string>();
  // The pointer is written out only for a problem: most of the IR is spans and expressions.
  const tokens: (string | number)[] = [];
  const here = (...more: string[]) => `${index.prefix}${pointer(...tokens, ...more)}`;
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        tokens.push(i);
        visit(value[i]);
        tokens.pop();
      }
      return;
    }
    for (const key in value) {
      const child = (value as Record<string, unknown>)[key];
      if (key === "span" && isSpan(child)) {
        if (!index.sources.has(child.file) && !stdModules.has(child.file) && !reported.has(child.file)) {
          reported.add(child.file);
          problems.add("FL0504", here("span", "file"), null, `a span names the file \`${child.file}\`, which is not one of the IR's sources`);
        }
        if (child.start > child.end) problems.add("FL0504", here("span"), null, `a span ends (${child.end}) before it starts (${child.start})`);
      } else if (typeof child === "object" && child !== null) {
        tokens.push(key);
        visit(child);
        tokens.pop();
      }
    }
  };
  // `types` hold schemas, which have no spans, and may use `span` as a property name.
  const { types: _types, ...rest } = index.ir;
  visit(rest);
}

function isSpan(value: unknown): value is Span {
  return typeof value === "object" && value !== null && "file" in value && "start" in value && "end" in value;
}
