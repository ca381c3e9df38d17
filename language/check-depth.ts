import type { Decl } from "./ast.ts";
import type { Span } from "./source-file.ts";
import { forEachChild, type SyntaxNode } from "./walk.ts";

/**
 * How deep a declaration's tree may nest. Real programs stay far below it;
 * above it, the recursive walks of every later phase (placement, printing,
 * type checking, lowering) could exhaust the stack. 1,000 levels leave
 * them ample room.
 */
export const maxNestingDepth = 1000;

/**
 * Whether a declaration of `tokens` tokens can nest deeper than
 * `maxNestingDepth` at all. Every node of the tree holds a token of its own
 * (a keyword, a bracket, an operator, a name), except a few that share
 * their child's: an expression statement, a positional argument, a named
 * type, a one-part qualified name and an unscoped effect. None of these
 * holds another but the last two, and those hold only a name. So no path
 * down the tree is longer than twice its tokens and three (a property test
 * in test/syntax-properties.test.ts holds the parser to it), and a
 * declaration shorter than that needs no walk: real ones are.
 */
export function mayBeTooDeep(tokens: number): boolean {
  return 2 * tokens + 3 > maxNestingDepth;
}

/**
 * The first node nested deeper than `maxNestingDepth`, if any. Every
 * declaration is asked, and almost none is too deep: a typed walk, which
 * stops descending past the limit, answers that first; only a declaration
 * it finds too deep is walked again to find the node to point at.
 */
export function tooDeep(decl: Decl): Span | undefined {
  depth = 0;
  deeper = false;
  forEachChild(decl, descend);
  return deeper ? firstTooDeep(decl) : undefined;
}

// The typed walk's state, kept outside it so that it allocates nothing per node.
let depth = 0;
let deeper = false;

/** Enters a child: notes when it lies past the limit, and then goes no further. */
function descend(child: SyntaxNode): void {
  if (deeper) return;
  depth++;
  if (depth > maxNestingDepth) deeper = true;
  else forEachChild(child, descend);
  depth--;
}

/** The first node deeper than the limit, in the order of a walk that keeps an explicit stack, so no input can make it overflow. */
function firstTooDeep(decl: Decl): Span | undefined {
  const nodes: unknown[] = [decl];
  const depths: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (Array.isArray(node)) {
      for (const child of node) if (child !== null && typeof child === "object") (nodes.push(child), depths.push(depth));
      continue;
    }
    const record = node as Record<string, unknown>;
    if (depth > maxNestingDepth) return record["span"] as Span;
    for (const key in record) {
      if (key === "span") continue;
      const child = record[key];
      if (child !== null && typeof child === "object") (nodes.push(child), depths.push(depth + 1));
    }
  }
  return undefined;
}
