/**
 * Two small nodes for programs about gates and timers (test/cli-gates,
 * test/serve-*): `plan(n)` echoes `plan-N`, `apply(p)` appends `applied`.
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
