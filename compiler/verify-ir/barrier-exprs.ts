import type { Expr } from "../ir/body.ts";
import type { Barrier } from "../ir/workflow.ts";

/** A barrier's expressions, by their key in the barrier. */
export function barrierExprs(b: Barrier): [string, Expr][] {
  switch (b.kind) {
    case "verify":
      return [
        ["check", b.check],
        ["message", b.message],
      ];
    case "approve":
      return [
        ...(b.show === null ? [] : [["show", b.show] as [string, Expr]]),
        ...(b.timeout === null ? [] : [["timeout", b.timeout] as [string, Expr]]),
      ];
    case "sleep":
      return [["duration", b.duration]];
    case "signal":
      return b.timeout === null ? [] : [["timeout", b.timeout]];
  }
}
