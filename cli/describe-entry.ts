import { formatDuration } from "../compiler/cost.ts";
import type { Budget } from "../compiler/ir/cost.ts";
import { abortText, amount } from "../interpreter/core/budget.ts";
import type { Entry, Json } from "../interpreter/ledger/entry.ts";
import { ModelAnswer, modelOp } from "../interpreter/models/model-answer.ts";

/**
 * One line for one ledger entry, as `flow logs` and the plain progress of
 * `flow run` print it: `migrate_package[3] attempt 2 failed: Timeout: …`.
 */
export function describeEntry(entry: Entry): string {
  switch (entry.kind) {
    case "run.started":
      return `run started: ${entry.data.workflow}(${Object.entries(entry.data.args).map(([k, v]) => `${k}: ${brief(v)}`).join(", ")})`;
    case "run.resumed":
      return `run resumed by ${entry.data.by}`;
    case "run.completed":
      return `run completed: ${brief(entry.data.result)}`;
    case "run.failed":
      return `run failed: ${entry.data.failures.map((f) => `${f.at}: ${f.failure.kind}: ${f.failure.message}`).join("; ")}`;
    case "run.parked":
      return `parked at ${entry.data.instance}, waiting for ${entry.data.waitingFor}`;
    case "vertex.scheduled":
      return `${on(entry)} scheduled${entry.data.resumed ? " again after a restart" : ""}`;
    case "vertex.started": {
      const sandbox = entry.data.sandbox;
      return sandbox === undefined ? `${on(entry)} started` : `${on(entry)} started in ${sandbox.driver} (profile ${sandbox.profile}; ${sandbox.effects.join(", ") || "no effects"})`;
    }
    case "step.completed":
      if (entry.data.op === modelOp) return `${on(entry)} step ${entry.data.index} ${modelTurn(entry.data)}`;
      return `${on(entry)} step ${entry.data.index} ${shortOp(entry.data.op)}${stepArgs(entry.data.args)} → ${brief(entry.data.result)}`;
    case "step.failed":
      if (entry.data.op === modelOp) return `${on(entry)} step ${entry.data.index} model turn ${String(entry.data.args["turn"])} failed: ${entry.data.failure.kind}: ${entry.data.failure.message}`;
      return `${on(entry)} step ${entry.data.index} ${shortOp(entry.data.op)} failed: ${entry.data.failure.kind}: ${entry.data.failure.message}`;
    case "vertex.checkpoint":
      return `${on(entry)} checkpoint "${entry.data.label}"`;
    case "vertex.completed":
      return `${on(entry)} completed → ${brief(entry.data.result)}`;
    case "vertex.failed":
      return `${on(entry)} failed: ${entry.data.failure.kind}: ${entry.data.failure.message}`;
    case "vertex.aborted":
      return `${on(entry)} aborted: ${entry.data.failure.kind}: ${entry.data.failure.message}`;
    case "vertex.retrying":
      // The entry is the next attempt's: the failed one was the attempt before it.
      return `${entry.vertex} will retry after ${formatDuration(entry.data.delay)} as attempt ${entry.attempt} (${entry.data.reason.kind}: ${entry.data.reason.message})`;
    case "vertex.skipped":
      return `${entry.vertex} skipped: ${entry.data.because} failed`;
    case "fanout.expanded":
      return `fan-out ${entry.data.instance}: ${entry.data.items} item${entry.data.items === 1 ? "" : "s"}`;
    case "fanout.dropped":
      return `fan-out ${entry.data.instance}: item ${entry.data.item} dropped (${entry.data.failure.kind}: ${entry.data.failure.message})`;
    case "barrier.passed":
      return `${entry.data.instance} passed`;
    case "timer.set":
      return `timer ${entry.data.timer} set for ${new Date(entry.data.until).toISOString()}`;
    case "timer.fired":
      return `timer ${entry.data.timer} fired`;
    case "gate.decided":
      return `${entry.data.instance} ${entry.data.decision === "approve" ? "approved" : "rejected"} by ${entry.data.approver.name}${entry.data.comment === null ? "" : `: ${entry.data.comment}`}`;
    case "run.paused":
      return `run paused by ${entry.data.by}: nothing more is dispatched`;
    case "run.unpaused":
      return `run let go on by ${entry.data.by}`;
    case "run.cancelled":
      return `run cancelled by ${entry.data.by}`;
    case "notification.sent": {
      const { delivered, attempts } = entry.data.record;
      const last = attempts.at(-1);
      return `${entry.data.instance}: the park notification was ${delivered ? "delivered" : "not delivered"} (${attempts.length} attempt${attempts.length === 1 ? "" : "s"}${delivered || last === undefined ? "" : `; last: ${last.error ?? `HTTP ${last.status}`}`})`;
    }
    case "signal.received":
      return `${entry.data.instance} received ${brief(entry.data.value)} from ${entry.data.by}`;
    case "budget.refused":
      return `${on(entry)} refused: it may need ${entry.data.need === null ? "an unbounded amount" : amount(entry.data.unit, entry.data.need)} of ${entry.data.unit}, ${amount(entry.data.unit, Math.max(0, entry.data.remaining))} remain`;
    case "budget.set":
      return `a new envelope from ${entry.data.by}: ${ceilingsText(entry.data.ceilings)}`;
    case "run.aborted":
      return `run aborted: ${abortText(entry.data)}`;
    case "gate.defaulted":
      return `${entry.data.instance}: no decision before the timeout; its default applies (${entry.data.decision})`;
  }
}

/** `model turn 2: anthropic:claude-sonnet-4-5 (after openai:gpt-5: 429) → sh, read_file; 1280 tokens, $0.0054` */
function modelTurn(data: { readonly args: Readonly<Record<string, Json>>; readonly result: Json; readonly tokens?: number | undefined; readonly usd?: number | undefined }): string {
  const parsed = ModelAnswer.safeParse(data.result);
  if (!parsed.success) return `model turn ${String(data.args["turn"])} → ${brief(data.result)}`;
  const { model, tried, reply } = parsed.data;
  const after = tried.length === 0 ? "" : ` (after ${tried.map((t) => `${t.model}: ${t.status ?? t.reason}`).join(", ")})`;
  const calls = reply.content.flatMap((block) => (block.type === "tool_use" ? [block.name] : []));
  const cost = `${data.tokens ?? 0} tokens${data.usd === undefined ? "" : `, $${data.usd.toFixed(4)}`}`;
  return `model turn ${String(data.args["turn"])}: ${model}${after} → ${calls.length === 0 ? "no tool call" : calls.join(", ")}; ${cost}`;
}

export function ceilingsText(ceilings: Budget): string {
  const set = (["tokens", "usd", "compute", "wall"] as const).filter((u) => ceilings[u] !== null).map((u) => `${u} ${amount(u, ceilings[u] as number)}`);
  return set.length === 0 ? "no ceilings" : set.join(", ");
}

function on(entry: { readonly vertex: string; readonly attempt: number }): string {
  return entry.attempt === 1 ? entry.vertex : `${entry.vertex} attempt ${entry.attempt}`;
}

/** `std/sandbox:sh@1` as `sh`. */
function shortOp(op: string): string {
  const colon = op.indexOf(":");
  const at = op.lastIndexOf("@");
  return op.slice(colon + 1, at === -1 ? undefined : at);
}

function stepArgs(args: Readonly<Record<string, Json>>): string {
  const values = Object.values(args).filter((v) => v !== null);
  return values.length === 0 ? "()" : `(${values.map(brief).join(", ")})`;
}

/** A value on one line, cut to a readable length. */
export function brief(value: Json): string {
  const text = JSON.stringify(value) ?? "null";
  const line = text.replace(/\\n/g, "⏎");
  return line.length <= 80 ? line : `${line.slice(0, 77)}…`;
}
