/**
 * Programs about gates and timers (test/cli-gates, test/serve-*).
 *
 * `steps`: two small nodes: `plan(n)` echoes `plan-N`, `apply(p)` appends `applied`.
 */
export const steps = `
import { sh } from "std/sandbox"

node plan(n: int) -> string
  effects { proc }
  budget  { compute: 10s }
{
  let r = sh("echo plan-\${n as string}")
  return r.stdout
}

node apply(p: string) -> string
  effects { proc }
  budget  { compute: 10s }
{
  let r = sh("echo applied")
  return "\${p} \${r.stdout}"
}
`;

/** A fan-out whose items each park at their node's `gate "review"`, showing the item's result (`draft-N`). */
export const reviewedItems = `
import { sh } from "std/sandbox"

node draft(n: int) -> string
  effects { proc }
  budget  { compute: 10s }
  gate    "review"
{
  let r = sh("echo draft-\${n as string}")
  return r.stdout
}

workflow main(ns: List<int, max 4>) -> List<string>
  budget { compute: 1m }
  grants { proc }
{
  return for n in ns concurrency 2 { draft(n) }
}`;
