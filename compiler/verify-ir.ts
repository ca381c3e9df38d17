import { checkAcyclic } from "./verify-ir/acyclic.ts";
import { checkBounds } from "./verify-ir/bounds.ts";
import { checkBudgets } from "./verify-ir/budgets.ts";
import { readDocument } from "./verify-ir/document.ts";
import { checkEffects } from "./verify-ir/effects.ts";
import { checkGraphShape } from "./verify-ir/graph-shape.ts";
import { indexIr } from "./verify-ir/ir-index.ts";
import { checkPrices } from "./verify-ir/prices.ts";
import { Problems, type IrProblem } from "./verify-ir/problem.ts";
import { checkReferences } from "./verify-ir/references.ts";
import { SchemaSubset } from "./verify-ir/schema-subset.ts";
import { checkStdOps } from "./verify-ir/std-ops.ts";
import { checkSchemas, checkValueTypes } from "./verify-ir/value-types.ts";

export type { IrProblem } from "./verify-ir/problem.ts";

/**
 * Re-checks an IR on its own (docs/ir.md, "Verification"): what the
 * interpreter will run must be a plan the checker would have accepted,
 * whoever or whatever produced it. It reads only the document, the std
 * module table (stdlib/index.ts: modules, versions, declarations) and the
 * price table, and shares no code with the checker's phases: a mistake in
 * the checker or the lowering shows up here as a refusal rather than as
 * a run that does what was never checked.
 *
 * `input` is an IR, or the file `flow compile` writes (`{ "hash", "ir" }`,
 * whose hash is then checked); pointers in the problems are into it. Every
 * problem found is returned, in the order of the checks: the document
 * (FL0501 not an IR, FL0502 version, FL0503 hash; nothing else is looked
 * at in a document that is not an IR of this version), ids (FL0505) and
 * references (FL0504), schemas (FL0508), std ops (FL0511, FL0512) and
 * prices (FL0516), the graph against the body (FL0517) and its cycles
 * (FL0506), types (FL0507), effects (FL0509, FL0510), bounds (FL0513)
 * and budgets (FL0514, FL0515). No problem: the IR verifies.
 */
export function verifyIr(input: unknown): IrProblem[] {
  const problems = new Problems();
  const document = readDocument(input, problems);
  if (document === undefined) return problems.list;
  const index = indexIr(document.ir, document.prefix, problems);
  checkReferences(index, problems);
  const subset = new SchemaSubset(index.types, problems);
  checkSchemas(index, subset);
  checkStdOps(index, problems);
  checkPrices(index, problems);
  checkGraphShape(index, problems);
  checkAcyclic(index, problems);
  checkValueTypes(index, subset, problems);
  checkEffects(index, problems);
  checkBounds(index, subset, problems);
  checkBudgets(index, problems);
  return problems.list;
}
