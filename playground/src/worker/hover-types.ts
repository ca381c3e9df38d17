import type { CheckResult } from "../../../compiler/compile.ts";
import { show } from "../../../compiler/types.ts";
import type { Signature } from "../../../compiler/signatures.ts";
import type * as A from "../../../language/ast.ts";
import { forEachChild, type SyntaxNode } from "../../../language/walk.ts";
import type { SourceFile } from "../../../language/source-file.ts";
import type { HoverType } from "../protocol.ts";
import { rangeOf } from "./ranges.ts";

/**
 * What the checker already keeps costs nothing to show: the signature each
 * call resolved to (on its callee's name) and the types it recorded for the
 * expressions later phases read (a `for`'s list, each argument of a call of
 * a unit, what an `as` converts). It keeps no map of every expression's
 * type (see TypeResult), and the playground does not ask it to.
 */
export function hoverTypes(checked: CheckResult): HoverType[] {
  const types = checked.types;
  if (types === undefined) return [];
  const source = checked.graph.entry.source;
  const hovers: HoverType[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.kind === "CallExpr") {
      const target = types.calls.get(node);
      if (target !== undefined) hovers.push(at(source, node.callee.span, signatureText(target.signature)));
    }
    const type = types.types.get(node as A.Expr);
    if (type !== undefined) hovers.push(at(source, node.span, show(type)));
    forEachChild(node, visit);
  };
  visit(checked.graph.entry.parsed.program);
  return hovers;
}

/** `node migrate_package(repo: string, pkg: Package) -> Migration` */
export function signatureText(s: Signature): string {
  const params = s.params.map((p) => `${p.name}: ${show(p.type)}${p.optional ? "?" : ""}`).join(", ");
  return `${s.kind === "function" ? "fn" : s.kind} ${s.name}(${params}) -> ${show(s.result)}`;
}

function at(source: SourceFile, span: A.Expr["span"], text: string): HoverType {
  return { range: rangeOf(source, span), text };
}
