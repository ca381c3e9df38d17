import type { Expr } from "../ir/body.ts";
import type { Effect } from "../ir/effect.ts";
import { covers, coversSome, showEffect, showEffects } from "./effect-rules.ts";
import type { IrIndex } from "./ir-index.ts";
import type { Problems } from "./problem.ts";
import { barrierExprs } from "./barrier-exprs.ts";
import { topScope, walkExpr, walkStmts, type Path, type Visitor } from "./walk.ts";

const llm: Effect = { name: "llm", scope: null };

/**
 * FL0510: a unit touches only what its `effects` clause allows. Every step
 * a node's or verifier's body calls needs only effects the clause covers
 * (some use of each: the sandbox enforces scopes); an agent's clause
 * covers `llm` and its tools'; `uses` is within the clause; a verifier
 * holds nothing but `fs.read`; and steps run only in node and verifier
 * bodies, never in a lambda, a clause or a workflow (there is no sandbox
 * there).
 *
 * FL0509: a workflow's grants cover what every vertex's callee declares
 * (its `effects`, or a sub-workflow's `grants`), each effect whole: a
 * grant of `net("a.com")` does not cover a node that declares `net`.
 */
export function checkEffects(index: IrIndex, problems: Problems): void {
  const { ir } = index;
  const stepOf = (op: string) => {
    const found = index.ops.get(op)?.value;
    return found?.kind === "step" ? found : undefined;
  };
  /** Reports each step called where none may run: in `where`, or in any lambda of `exprs`. */
  const noSteps = (visit: (v: Visitor) => void, who: string, where: string | null): void => {
    visit({
      expr: (expr: Expr, at, scope) => {
        if (expr.kind !== "call" || stepOf(expr.op) === undefined) return;
        if (where !== null || scope.lambda)
          problems.add("FL0510", at, expr.span, `${who} calls the step \`${expr.op}\` ${where ?? "in a lambda"}, where no sandbox runs it`, "steps run in the body of a node (a verifier may read files): a lambda or a clause must be pure, and a workflow calls nodes");
      },
    });
  };

  ir.units.forEach((unit, i) => {
    const path = index.at("units", i);
    const who = `the ${unit.kind} \`${unit.name}\``;
    const clauses = (visitor: Visitor) => {
      if (unit.timeout !== null) walkExpr(unit.timeout, `${path}/timeout`, topScope, visitor);
      if (unit.retry?.backoff != null) {
        walkExpr(unit.retry.backoff.base, `${path}/retry/backoff/base`, topScope, visitor);
        if (unit.retry.backoff.cap !== null) walkExpr(unit.retry.backoff.cap, `${path}/retry/backoff/cap`, topScope, visitor);
      }
      if (unit.kind === "agent") walkExpr(unit.prompt, `${path}/prompt`, topScope, visitor);
    };
    noSteps(clauses, who, "in a clause");
    const lacks = (needs: readonly Effect[], at: Path, what: string): void => {
      const missing = needs.filter((e) => !coversSome(unit.effects, e));
      if (missing.length > 0)
        problems.add("FL0510", at, unit.span, `${who} ${what}, which needs ${showEffects(missing)}, and its effects clause lacks ${missing.length === 1 ? "it" : "them"}`, `its sandbox allows only ${showEffects(unit.effects)}`);
    };
    if (unit.kind === "agent") {
      lacks([llm], `${path}/effects`, "calls a model");
      unit.tools.forEach((tool, j) => {
        const op = stepOf(tool);
        if (op !== undefined) lacks(op.effects, `${path}/tools/${j}`, `has the tool \`${tool}\``);
      });
    } else {
      walkStmts(unit.body, `${path}/body`, topScope, {
        expr: (expr, at, scope) => {
          if (expr.kind !== "call") return;
          const op = stepOf(expr.op);
          if (op === undefined) return;
          if (scope.lambda) problems.add("FL0510", at, expr.span, `${who} calls the step \`${expr.op}\` in a lambda, where no sandbox runs it`, "a lambda must be pure: call the step in the body and pass its result");
          else lacks(op.effects, at, `calls \`${expr.op}\``);
        },
      });
    }
    unit.uses.forEach((effect, j) => {
      if (!coversSome(unit.effects, effect))
        problems.add("FL0510", `${path}/uses/${j}`, unit.span, `${who} uses \`${showEffect(effect)}\`, and its effects clause does not allow it`);
    });
    if (unit.kind === "verifier")
      unit.effects.forEach((effect, j) => {
        if (effect.name !== "fs.read")
          problems.add("FL0510", `${path}/effects/${j}`, unit.span, `${who} declares \`${showEffect(effect)}\`, and a verifier may only read files`, "a verifier decides from the values it is given: it is pure, but for `fs.read`");
      });
  });

  for (const graph of index.graphs) {
    const { workflow, path } = graph;
    const who = `the workflow \`${workflow.name}\``;
    noSteps(
      (visitor) => {
        if (workflow.timeout !== null) walkExpr(workflow.timeout, `${path}/timeout`, topScope, visitor);
        walkStmts(workflow.body, `${path}/body`, topScope, visitor);
        workflow.vertices.forEach((v, j) => v.args.forEach((a, k) => walkExpr(a.value, `${path}/vertices/${j}/args/${k}/value`, topScope, visitor)));
        workflow.barriers.forEach((b, j) => barrierExprs(b).forEach(([key, e]) => walkExpr(e, `${path}/barriers/${j}/${key}`, topScope, visitor)));
      },
      who,
      "directly",
    );
    workflow.vertices.forEach((v, j) => {
      const callee = index.callee(v.unit);
      if (callee === undefined) return;
      const declared = callee.kind === "unit" ? callee.unit.effects : callee.workflow.grants;
      const missing = declared.filter((e) => !covers(workflow.grants, e));
      if (missing.length === 0) return;
      const clause = callee.kind === "unit" ? `${callee.unit.kind} \`${v.unit}\` declares` : `workflow \`${v.unit}\` is granted`;
      problems.add(
        "FL0509",
        `${path}/vertices/${j}`,
        v.span,
        `${who} calls \`${v.id}\`: the ${clause} ${showEffects(missing)}, and ${workflow.grants.length === 0 ? "the workflow grants nothing" : `its grants (${showEffects(workflow.grants)}) do not cover ${missing.length === 1 ? "it" : "them"}`}`,
        `a workflow's grants cover every effect its callees declare; its grants are at ${path}/grants`,
      );
    });
  }
}
