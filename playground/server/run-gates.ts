import type { RunState } from "../../interpreter/core/state.ts";
import type { Entry, GateDecision, Json } from "../../interpreter/ledger/entry.ts";

/** A gate or signal the run is parked at, with what a person needs to answer it. */
export interface OpenWait {
  readonly instance: string;
  /** `approval "merge"`, `signal "ready"`. */
  readonly waitingFor: string;
  readonly kind: "approval" | "signal";
  /** The name as written in the program (`merge`), what the API's `gate` and `name` take. */
  readonly name: string;
  /** What the gate shows its approvers (`approve … show VALUE`; a node's `gate`, its result); null for a signal or a gate that shows nothing. */
  readonly show: Json;
  /** When its timeout passes (ISO time), if it has one. */
  readonly timeoutAt: string | null;
  readonly parkedAt: number;
}

/** A decision taken at a gate: by a person (their name and key, as signed in the ledger) or by its timeout's default. */
export interface DecidedGate {
  readonly instance: string;
  readonly decision: GateDecision;
  readonly comment: string | null;
  readonly by: { readonly name: string; readonly key: string } | null;
  readonly seq: number;
}

/** `GET /api/runs/:id/gates`. */
export interface RunGates {
  readonly run: string;
  readonly open: readonly OpenWait[];
  readonly decided: readonly DecidedGate[];
}

export function runGates(state: RunState, entries: readonly Entry[]): RunGates {
  const parkedEntries = new Map<string, { show: Json; seq: number }>();
  const decided: DecidedGate[] = [];
  for (const entry of entries) {
    switch (entry.kind) {
      case "run.parked":
        parkedEntries.set(entry.data.instance, { show: entry.data.show ?? null, seq: entry.seq });
        break;
      case "gate.decided":
        decided.push({ instance: entry.data.instance, decision: entry.data.decision, comment: entry.data.comment, by: entry.data.approver, seq: entry.seq });
        break;
      case "gate.defaulted":
        decided.push({ instance: entry.data.instance, decision: entry.data.decision, comment: null, by: null, seq: entry.seq });
        break;
      default:
        break;
    }
  }
  const open: OpenWait[] = [...state.parked].map(([instance, waitingFor]) => {
    const timer = state.timers.get(instance);
    return {
      instance,
      waitingFor,
      kind: waitingFor.startsWith("signal ") ? "signal" : "approval",
      name: /"(.*)"$/.exec(waitingFor)?.[1] ?? instance,
      show: parkedEntries.get(instance)?.show ?? null,
      timeoutAt: timer === undefined || timer.fired ? null : new Date(timer.until).toISOString(),
      parkedAt: parkedEntries.get(instance)?.seq ?? -1,
    };
  });
  return { run: state.run, open, decided };
}
