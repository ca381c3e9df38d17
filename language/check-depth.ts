import type { Decl } from "./ast.ts";
import type { Span } from "./source-file.ts";

/**
 * How deep a declaration's tree may nest. Real programs stay far below it;
 * above it, the recursive walks of every later phase (placement, printing,
 * type checking, lowering) could exhaust the stack. 1,000 levels leave
 * them ample room.
 */
export const maxNestingDepth = 1000;

/**
 * The first node nested deeper than `maxNestingDepth`, if any. The walk
 * itself keeps an explicit stack, so no input can make it overflow.
 */
export function tooDeep(decl: Decl): Span | undefined {
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
