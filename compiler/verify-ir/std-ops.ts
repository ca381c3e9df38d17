import { normalEffects, showEffects } from "./effect-rules.ts";
import type { IrIndex } from "./ir-index.ts";
import type { Problems } from "./problem.ts";
import { sameJson } from "./same-json.ts";
import { barrierExprs } from "./barrier-exprs.ts";
import { stdTable } from "./std-table.ts";
import { topScope, walkExpr, walkStmts, type Visitor } from "./walk.ts";

/**
 * FL0511: every op is a std function this flow has, at the version the IR
 * names: its module is a std module, `version` is that module's version
 * (a module's meaning changes only with a new version, so another version
 * is not this one), the module declares `name`, and `id` is
 * `module:name@version`. A call binds only the op's parameters.
 *
 * FL0512: an op is what its declaration says: a step (journaled, run in the
 * sandbox) exactly when the declaration has an `effects` clause, with
 * exactly those effects, so the sandbox grants what the step needs.
 */
export function checkStdOps(index: IrIndex, problems: Problems): void {
  const std = stdTable();
  index.ir.ops.forEach((op, i) => {
    const at = index.at("ops", i);
    const module = std.get(op.module);
    if (module === undefined) {
      problems.add("FL0511", `${at}/module`, null, `the op \`${op.id}\` is from \`${op.module}\`, which is not a std module`, `the std modules are ${[...std.keys()].map((m) => `\`${m}\``).join(", ")}`);
      return;
    }
    if (op.version !== module.version) {
      problems.add(
        "FL0511",
        `${at}/version`,
        null,
        `the op \`${op.id}\` is \`${op.module}\` at version ${op.version}, and this flow has version ${module.version} of it`,
        "an op runs the implementation of exactly its version: compile the program again with this flow",
      );
      return;
    }
    const declared = module.functions.get(op.name);
    if (declared === undefined) {
      problems.add("FL0511", `${at}/name`, null, `the op \`${op.id}\` names \`${op.name}\`, which \`${op.module}\` does not declare`);
      return;
    }
    const id = `${op.module}:${op.name}@${op.version}`;
    if (op.id !== id) problems.add("FL0511", `${at}/id`, null, `the op with id \`${op.id}\` is \`${id}\`: an op's id is \`module:name@version\``);
    if (op.kind !== declared.kind)
      problems.add("FL0512", `${at}/kind`, null, `the op \`${op.id}\` is recorded as a ${op.kind}, and \`${op.module}\` declares a ${declared.kind}`);
    if (!sameJson(normalEffects(op.effects), declared.effects))
      problems.add(
        "FL0512",
        `${at}/effects`,
        null,
        `the op \`${op.id}\` is recorded as needing ${showEffects(op.effects)}, and \`${op.module}\` declares ${showEffects(declared.effects)}`,
        "the sandbox allows a step what its op says it needs: that must be what its declaration says",
      );
  });

  const calls: Visitor = {
    expr: (expr, at) => {
      if (expr.kind !== "call") return;
      const op = index.ops.get(expr.op)?.value;
      const declared = op === undefined ? undefined : std.get(op.module)?.functions.get(op.name);
      if (declared === undefined || std.get(op!.module)?.version !== op!.version) return;
      expr.args.forEach((a, k) => {
        if (!declared.params.includes(a.param))
          problems.add("FL0504", `${at}/args/${k}/param`, expr.span, `a call of \`${expr.op}\` passes \`${a.param}\`, which is not one of its parameters (${declared.params.map((p) => `\`${p}\``).join(", ") || "none"})`);
      });
    },
  };
  index.ir.units.forEach((unit, i) => {
    const path = index.at("units", i);
    if (unit.kind === "agent") walkExpr(unit.prompt, `${path}/prompt`, topScope, calls);
    else walkStmts(unit.body, `${path}/body`, topScope, calls);
    if (unit.timeout !== null) walkExpr(unit.timeout, `${path}/timeout`, topScope, calls);
  });
  for (const { workflow, path } of index.graphs) {
    walkStmts(workflow.body, `${path}/body`, topScope, calls);
    workflow.vertices.forEach((v, j) => v.args.forEach((a, k) => walkExpr(a.value, `${path}/vertices/${j}/args/${k}/value`, topScope, calls)));
    workflow.barriers.forEach((b, j) => barrierExprs(b).forEach(([key, e]) => walkExpr(e, `${path}/barriers/${j}/${key}`, topScope, calls)));
  }
}
