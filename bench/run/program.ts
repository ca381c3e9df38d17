import { irHash } from "../../compiler/ir/hash.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import { compileText } from "../../test/support/run-program.ts";

/**
 * The workflow every part of the benchmark runs: a fan-out of no-op
 * vertices (a node without steps returns its argument: three entries a
 * vertex, scheduled, started, completed, and no sandbox ever acquired), so
 * what is measured is the runtime itself: decide, seal, apply, the store.
 * `concurrency` is the fan-out's own limit (null: none, only the run's).
 */
export function noopProgram(items: number, concurrency: number | null): { readonly ir: Ir; readonly hash: string } {
  const limit = concurrency === null ? "" : ` concurrency ${concurrency}`;
  const ir = compileText(`
node noop(i: int) -> int
  budget { compute: 1s }
{
  return i
}
workflow main(ns: List<int, max ${items}>) -> List<int>
  budget { compute: 1000000h }
  grants { }
{
  return for i in ns${limit} { noop(i) }
}`);
  return { ir, hash: irHash(ir) };
}

/** The items' argument: 0..n-1. */
export function items(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
