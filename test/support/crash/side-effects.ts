import type { LedgerView } from "./ledger.ts";

/**
 * The side-effect file of the crash workflow (test/fixtures/crash/): one
 * line per run of a step, `JOURNAL-ID ITEM STEP`, appended by the step
 * itself, so it says which steps ran and how many times, whatever the
 * ledger says.
 */
export interface SideEffect {
  readonly id: string;
  readonly item: string;
  readonly step: string;
}

export function readSideEffects(text: string): SideEffect[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [id = "", item = "", step = "", ...rest] = line.split(" ");
      if (!/^[0-9a-f]{64}$/.test(id) || item === "" || step === "" || rest.length > 0) throw new Error(`not a side-effect line: ${JSON.stringify(line)}`);
      return { id, item, step };
    });
}

export interface SideEffectVerdict {
  /** Steps that ran more than once, each run beyond the first lost to a kill that came before its result was recorded: the documented window. */
  readonly inWindow: readonly { readonly id: string; readonly runs: number }[];
  /** Steps that ran more often than the kills that caught them unrecorded explain. */
  readonly outOfWindow: readonly { readonly id: string; readonly runs: number; readonly allowed: number; readonly label: string }[];
  /** Steps of the final ledger that never ran (no line). */
  readonly neverRan: readonly string[];
  /** Lines whose step the final ledger does not have, or that name another item or step than its command. */
  readonly strange: readonly string[];
}

/**
 * Judges the file against the final ledger and the ledgers as they were
 * at each kill. A step (one journal id) is run by at most one process at a
 * time, and no process runs a step whose result is recorded; a process
 * killed before recording a step's result loses that run. So a step may
 * appear at most 1 + (the number of kills at which its result was not
 * recorded) times; more is a step run twice outside the crash window.
 */
export function judgeSideEffects(effects: readonly SideEffect[], final: LedgerView, atKills: readonly LedgerView[]): SideEffectVerdict {
  const runs = new Map<string, number>();
  const strange: string[] = [];
  for (const effect of effects) {
    runs.set(effect.id, (runs.get(effect.id) ?? 0) + 1);
    const step = final.steps.get(effect.id);
    if (step === undefined) strange.push(`${effect.id} ${effect.item} ${effect.step}: no such step in the final ledger`);
    else if (step.command === null || !step.command.includes(`"$FLOW_STEP_ID ${effect.item} ${effect.step}"`)) {
      strange.push(`${effect.id} ${effect.item} ${effect.step}: the ledger's step ${step.vertex}#${step.index} ran ${JSON.stringify(step.command)}`);
    }
  }
  const inWindow: { id: string; runs: number }[] = [];
  const outOfWindow: { id: string; runs: number; allowed: number; label: string }[] = [];
  for (const [id, count] of runs) {
    if (count === 1) continue;
    const allowed = 1 + atKills.filter((ledger) => !ledger.steps.has(id)).length;
    const step = final.steps.get(id);
    if (count <= allowed) inWindow.push({ id, runs: count });
    else outOfWindow.push({ id, runs: count, allowed, label: step === undefined ? "?" : `${step.vertex} step ${step.index}` });
  }
  const neverRan = [...final.steps.keys()].filter((id) => !runs.has(id));
  return { inWindow, outOfWindow, neverRan, strange };
}
