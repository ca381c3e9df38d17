import { formatUsd, formatValue } from "../../compiler/cost.ts";
import type { Amount, Budget, CostUnit, CostVector } from "../../compiler/ir/cost.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import type { Spent } from "../ledger/entry.ts";
import type { BudgetState, RunState } from "./state.ts";

/**
 * The run's envelope at run time. Charges come from the world (a step's
 * compute, measured by the sandbox; wall time between the world's
 * entries); before an attempt is dispatched its one-attempt worst case
 * (the compiler's `perAttempt`) is priced against what remains after what
 * is spent and what attempts in flight may still spend (their worst
 * cases, reserved until they end). Wall time is not reserved: attempts in
 * flight spend it side by side.
 */

const units: readonly CostUnit[] = ["tokens", "usd", "compute", "wall"];

const nothing = (): Spent => ({ tokens: 0, usd: 0, compute: 0, wall: 0 });

export function initialBudget(ir: Ir, workflow: string, at: number): BudgetState {
  const declared = ir.workflows.find((w) => w.name === workflow)?.budget;
  return { ceilings: declared ?? { tokens: null, usd: null, compute: null, wall: null }, spent: nothing(), reserved: nothing(), stopped: false, clock: at };
}

/** A fresh envelope: these ceilings, nothing spent (what is in flight stays reserved). */
export function setEnvelope(budget: BudgetState, ceilings: Budget): void {
  budget.ceilings = ceilings;
  for (const unit of units) budget.spent[unit] = 0;
  budget.stopped = false;
}

/** Adds (`sign` 1, as it is dispatched) or takes back (-1, as it ends) an attempt's worst case to what is held back (wall time aside). */
export function reserveIn(reserved: Spent, cost: CostVector, sign: 1 | -1): void {
  // Unit by unit, not a loop over their names: every attempt's dispatch and end comes here, and members read by a
  // name held in a variable are slower.
  reserved.tokens += sign * figure(cost.tokens);
  reserved.usd += sign * figure(cost.usd);
  reserved.compute += sign * figure(cost.compute);
}

/**
 * Wall time passes while the run runs, unless it is parked or stopped:
 * each entry charges the time since the latest one before it. Attempts
 * side by side record their entries with their own times and their
 * batches interleave, so `at` can go back: no time is counted twice.
 */
export function chargeWall(state: RunState, at: number): void {
  const { budget } = state;
  if (at <= budget.clock) return;
  // Parked at one gate while attempts elsewhere still run, the run is still at work.
  if (state.status === "running" || (state.status === "parked" && state.active > 0)) budget.spent.wall += at - budget.clock;
  budget.clock = at;
}

/** What stops an attempt with this worst case from being dispatched now: the first unit it would breach, or null. */
export function refusal(
  budget: BudgetState,
  cost: CostVector,
  /** Held back besides the attempts in flight: those dispatched in the same pass. */
  alsoReserved: Spent,
): { readonly unit: CostUnit; readonly need: number | null; readonly remaining: number } | null {
  for (const unit of units) {
    const ceiling = budget.ceilings[unit];
    if (ceiling === null) continue;
    const remaining = ceiling - budget.spent[unit] - (unit === "wall" ? 0 : budget.reserved[unit] + alsoReserved[unit]);
    const amount = cost[unit];
    // An attempt with no bound in a unit the run limits cannot be priced: it is not dispatched on trust.
    if (typeof amount !== "number") return { unit, need: null, remaining };
    if (amount > remaining) return { unit, need: amount, remaining };
  }
  return null;
}

/** A bounded figure; an unbounded or unknown one reserves nothing (`refusal` refuses it where a ceiling applies). */
function figure(amount: Amount): number {
  return typeof amount === "number" ? amount : 0;
}

/** A figure in its unit, for people, as budgets are written: `1.28k tokens`, `$0.01`, `1m23s`, `3.5s`, `250ms`. */
export function amount(unit: CostUnit, value: number): string {
  return unit === "tokens" ? `${formatValue(Math.round(value), unit)} tokens` : formatValue(value, unit);
}

/**
 * A figure as `run.aborted` records it in its reason (`1280 tokens`, `83.4 s`). `decide` writes that entry, so replay
 * writes it again and compares: this wording is fixed as the ledgers hold it, and only `amount` is for people.
 */
function recordedAmount(unit: CostUnit, value: number): string {
  switch (unit) {
    case "tokens":
      return `${Math.round(value)} tokens`;
    case "usd":
      return formatUsd(value);
    case "compute":
    case "wall":
      return value < 1_000 ? `${Math.round(value)} ms` : `${(value / 1_000).toFixed(1)} s`;
  }
}

/** Each unit the run limits or has spent something of, against its ceiling: `1.28k tokens of 1M tokens · $0.01 of $10.00 · compute 1.2s (no ceiling)`. */
export function spendText(spent: Spent, ceilings: Budget): string {
  const figures = units.flatMap((unit) => {
    const ceiling = ceilings[unit];
    if (ceiling === null && spent[unit] === 0) return [];
    // Durations need their unit named; "$" and "tokens" name theirs.
    const label = unit === "compute" || unit === "wall" ? `${unit} ` : "";
    return [`${label}${amount(unit, spent[unit])} ${ceiling === null ? "(no ceiling)" : `of ${amount(unit, ceiling)}`}`];
  });
  return figures.length === 0 ? "nothing" : figures.join(" · ");
}

/** Why a run stops, as `run.aborted` records it: what it has spent of each ceiling when a dispatch was refused. */
export function abortReason(budget: BudgetState): string {
  return overBudget(budget, recordedAmount);
}

/** Why an aborted run stopped, for people: abortReason's words with amount's figures (`compute: 3.6s spent of 3.5s`). */
export function abortText(budget: Pick<BudgetState, "spent" | "ceilings">): string {
  return overBudget(budget, amount);
}

function overBudget(budget: Pick<BudgetState, "spent" | "ceilings">, figure: (unit: CostUnit, value: number) => string): string {
  const limited = units.filter((u) => budget.ceilings[u] !== null);
  return `a dispatch would exceed the run's budget (${limited.map((u) => `${u}: ${figure(u, budget.spent[u])} spent of ${figure(u, budget.ceilings[u] as number)}`).join(", ")})`;
}
