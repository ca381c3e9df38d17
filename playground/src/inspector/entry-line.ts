import type { Entry } from "../../server/api-types.ts";
import { jsonLine } from "./json-view.ts";

/** What the timeline says of an entry besides its kind: the instance it is about and the fact in a few words. */
export function entryLine(entry: Entry): { readonly subject: string; readonly text: string } {
  switch (entry.kind) {
    case "run.started":
      return { subject: entry.data.workflow, text: `args ${jsonLine(entry.data.args, 60)}` };
    case "run.resumed":
      return { subject: "", text: `taken over by ${entry.data.by}` };
    case "run.completed":
      return { subject: "", text: `result ${jsonLine(entry.data.result, 60)}` };
    case "run.failed":
      return { subject: entry.data.failures[0]?.at ?? "", text: entry.data.failures.map((f) => `${f.failure.kind}: ${f.failure.message}`).join("; ") };
    case "vertex.scheduled":
      return { subject: entry.vertex, text: `attempt ${entry.attempt}${entry.data.resumed ? " (again, after a crash)" : ""}` };
    case "vertex.started":
      return { subject: entry.vertex, text: entry.data.sandbox === undefined ? "started" : `on ${entry.data.sandbox.driver} (${entry.data.sandbox.profile})` };
    case "step.completed":
      return { subject: entry.vertex, text: `#${entry.data.index} ${entry.data.op} · ${entry.data.compute} ms${entry.data.tokens === undefined ? "" : ` · ${entry.data.tokens} tokens`}` };
    case "step.failed":
      return { subject: entry.vertex, text: `#${entry.data.index} ${entry.data.op}: ${entry.data.failure.kind}` };
    case "vertex.checkpoint":
      return { subject: entry.vertex, text: `checkpoint "${entry.data.label}" after ${entry.data.steps} steps` };
    case "vertex.completed":
      return { subject: entry.vertex, text: jsonLine(entry.data.result, 60) };
    case "vertex.failed":
    case "vertex.aborted":
      return { subject: entry.vertex, text: `${entry.data.failure.kind}: ${entry.data.failure.message}` };
    case "vertex.retrying":
      return { subject: entry.vertex, text: `${entry.data.reason.kind}; attempt ${entry.attempt} after ${entry.data.delay} ms` };
    case "vertex.skipped":
      return { subject: entry.vertex, text: `because ${entry.data.because} failed` };
    case "fanout.expanded":
      return { subject: entry.data.instance, text: `${entry.data.items} items` };
    case "fanout.dropped":
      return { subject: entry.data.instance, text: `item ${entry.data.item} dropped: ${entry.data.failure.kind}` };
    case "barrier.passed":
      return { subject: entry.data.instance, text: "passed" };
    case "timer.set":
      return { subject: entry.data.timer, text: `until ${new Date(entry.data.until).toISOString()}` };
    case "timer.fired":
      return { subject: entry.data.timer, text: "fired" };
    case "run.parked":
      return { subject: entry.data.instance, text: `waits for ${entry.data.waitingFor}` };
    case "gate.decided":
      return { subject: entry.data.instance, text: `${entry.data.decision} by ${entry.data.approver.name}${entry.data.comment ? `: ${entry.data.comment}` : ""}` };
    case "gate.defaulted":
      return { subject: entry.data.instance, text: `timed out: ${entry.data.decision} by default` };
    case "run.paused":
      return { subject: "", text: `paused by ${entry.data.by}` };
    case "run.unpaused":
      return { subject: "", text: `unpaused by ${entry.data.by}` };
    case "run.cancelled":
      return { subject: "", text: `cancelled by ${entry.data.by}` };
    case "notification.sent":
      return { subject: entry.data.instance, text: "webhook notified" };
    case "signal.received":
      return { subject: entry.data.instance, text: `${jsonLine(entry.data.value, 50)} from ${entry.data.by}` };
    case "budget.refused":
      return { subject: entry.vertex, text: `refused: ${entry.data.unit} needs ${entry.data.need ?? "an unbounded amount"}, ${entry.data.remaining} left` };
    case "budget.set":
      return { subject: "", text: `fresh envelope from ${entry.data.by}` };
    case "run.aborted":
      return { subject: "", text: entry.data.reason };
  }
}
