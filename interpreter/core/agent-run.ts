import { agentTurnLimit } from "../../compiler/analyse-budgets.ts";
import { canonicalJson, sha256Hex } from "../../compiler/ir/hash.ts";
import type { AgentUnit } from "../../compiler/ir/unit.ts";
import { schemaErrors, validatorFor } from "../../stdlib/runtime/schema-validators.ts";
import type { Draft, Failure, Json } from "../ledger/entry.ts";
import { type AgentTool, agentTool } from "../models/agent-tools.ts";
import type { Message, ModelRequest, ToolResultBlock } from "../models/conversation.ts";
import { ModelAnswer, modelOp } from "../models/model-answer.ts";
import { resultTool, resultToolName } from "../models/result-tool.ts";
import type { BodyProgress, StepRequest } from "./body-run.ts";
import { BodyScope, invalidArgument } from "./body-run.ts";
import { evaluatePure, Frame } from "./evaluate.ts";
import { journalId } from "./journal-id.ts";
import type { RunPlan } from "./plan.ts";
import type { JournalRecord } from "./state.ts";

/** `max_tokens` of a request when the agent's budget leaves more. Fixed, not configured: it is part of every request, which replay must build again. */
export const maxOutputTokens = 8_192;

/** How much of a tool's result the model is shown; the rest is cut, and the cut said. */
const toolResultChars = 30_000;

/** A model call the host makes for the loop: the route, and the request but for the model, which the route picks. */
export interface ModelCall {
  readonly models: readonly string[];
  readonly request: Omit<ModelRequest, "model">;
}

/** What the loop asks of its host: a model call, or a tool (a std step, in the agent's sandbox). */
type Ask = { readonly op: string; readonly args: Readonly<Record<string, Json>>; readonly call?: ModelCall };
type Outcome = { readonly result: Json } | { readonly failure: Failure };

/**
 * One attempt of an agent: its model loop, as deterministic as a node's
 * body. Every request is built from the prompt and the journal (the
 * model's recorded answers, the tools' recorded results), so the same
 * journal gives the same requests byte for byte: a crash resumes the loop
 * where the journal ends, and replay runs it on the recorded answers
 * without calling a model. Models propose: which tool runs, whether the
 * result is valid, when the budget is spent, are decided here.
 *
 * A turn sends the conversation with the agent's tools and `finish` (its
 * result), obliging the model to call one. Each tool call is a journaled
 * step; `finish` with a valid result ends the attempt. An invalid result,
 * or an answer that calls no tool, gets one repair turn quoting what is
 * wrong; a second fails the attempt as `InvalidOutput`. The tokens and
 * dollars each answer cost count against the agent's budget: no request
 * asks for more output than is left, and an answer that passes the
 * ceiling ends the attempt as `BudgetExceeded`.
 */
export class AgentRun {
  private readonly loop: Generator<Ask, Outcome, JournalRecord>;
  private steps = 0;
  private started = false;
  private finished = false;
  private now = 0;

  constructor(
    private readonly plan: RunPlan,
    private readonly run: string,
    readonly instance: string,
    readonly attempt: number,
    private readonly unit: AgentUnit,
    private readonly args: Readonly<Record<string, Json>>,
    private readonly journal: ReadonlyMap<string, JournalRecord>,
  ) {
    this.loop = agentLoop(plan, unit, args);
  }

  /** Runs the loop until it needs a step the journal lacks, or ends; `reply` answers the step it asked for last. */
  resume(at: number, reply?: JournalRecord): BodyProgress {
    this.now = at;
    if (this.finished) throw new Error(`${this.instance} attempt ${this.attempt} has finished`);
    if (!this.started) {
      this.started = true;
      const problem = invalidArgument(this.unit, this.args, this.plan.ir.types);
      if (problem !== null) return this.finish({ failure: { kind: "InvalidOutput", message: problem } });
      return this.advance(this.loop.next(undefined as unknown as JournalRecord));
    }
    if (reply === undefined) throw new Error(`${this.instance} attempt ${this.attempt} resumed without the answer it asked for`);
    return this.advance(this.loop.next(reply));
  }

  private advance(next: IteratorResult<Ask, Outcome>): BodyProgress {
    for (;;) {
      if (next.done) return this.finish(next.value);
      const ask = next.value;
      const index = this.steps++;
      const id = journalId(this.run, this.instance, this.attempt, index, ask.op, ask.args);
      const recorded = this.journal.get(id);
      if (recorded === undefined) {
        const request: StepRequest = { index, op: ask.op, id, args: ask.args, ...(ask.call === undefined ? {} : { call: ask.call }) };
        return { kind: "step", request, drafts: [] };
      }
      next = this.loop.next(recorded);
    }
  }

  private finish(outcome: Outcome): BodyProgress {
    this.finished = true;
    const { now: at, instance: vertex, attempt } = this;
    const draft: Draft = "failure" in outcome ? { kind: "vertex.failed", at, vertex, attempt, data: { failure: outcome.failure } } : { kind: "vertex.completed", at, vertex, attempt, data: { result: outcome.result } };
    return { kind: "finished", drafts: [draft] };
  }
}

function* agentLoop(plan: RunPlan, unit: AgentUnit, args: Readonly<Record<string, Json>>): Generator<Ask, Outcome, JournalRecord> {
  const route = plan.ir.routes.find((r) => r.id === unit.route);
  if (route === undefined || route.models.length === 0) return failed("Failed", `the agent \`${unit.name}\` has no models to call: give it a \`models\` clause`);
  const models = route.models.map((m) => m.id);
  const tools = new Map<string, AgentTool>(unit.tools.map((op) => [agentTool(op).definition.name, agentTool(op)]));
  const finish = resultTool(unit.result, plan.ir.types);
  const definitions = [...[...tools.values()].map((t) => t.definition), finish.definition];
  const prompt = evaluatePure(unit.prompt, new Frame(new BodyScope(plan.ir, args)));
  const system = systemPrompt(unit.name, [...tools.keys()]);
  const messages: Message[] = [{ role: "user", content: [{ type: "text", text: prompt as string }] }];
  // The dearest output price of the route: what a token of output may cost, whichever model answers.
  const prices = route.models.map((m) => m.price);
  const outputPrice = prices.every((p) => p !== null) ? Math.max(...prices.map((p) => p?.output ?? 0)) / 1e6 : null;
  const ceiling = { tokens: unit.budget.tokens, usd: unit.budget.usd };
  const spent = { tokens: 0, usd: 0 };
  let repairs = 0;
  let toolCalls = 0;
  for (let turn = 1; turn <= agentTurnLimit; turn++) {
    let maxTokens = maxOutputTokens;
    if (ceiling.tokens !== null) maxTokens = Math.min(maxTokens, ceiling.tokens - spent.tokens);
    if (ceiling.usd !== null && outputPrice !== null && outputPrice > 0) maxTokens = Math.min(maxTokens, Math.floor((ceiling.usd - spent.usd) / outputPrice + 1e-9));
    if (maxTokens < 1) return cutOff(unit, spent, ceiling);
    // In canonical form: a resumed run's IR, read back from the ledger, has its schemas' keys in another order than the
    // compiled one had, and the model is then sent the same bytes as before the crash.
    const text = canonicalJson({ system, messages, tools: definitions, toolChoice: "any", maxTokens } as unknown as Json);
    const request = JSON.parse(text) as Omit<ModelRequest, "model" | "caller">;
    const requestHash = sha256Hex(text);
    const record = yield { op: modelOp, args: { models, turn, maxTokens, request: requestHash }, call: { models, request: { ...request, caller: { agent: unit.name, turn, requestHash } } } };
    if ("failure" in record) return { failure: record.failure };
    const answer = ModelAnswer.parse(record.result);
    spent.tokens += answer.reply.usage.input + answer.reply.usage.output;
    spent.usd += answer.usd ?? 0;
    if ((ceiling.tokens !== null && spent.tokens > ceiling.tokens) || (ceiling.usd !== null && spent.usd > ceiling.usd)) return cutOff(unit, spent, ceiling);
    // An empty turn is not sent back: the APIs refuse an assistant message without content (the nudge below follows the last user turn).
    if (answer.reply.content.length > 0) messages.push({ role: "assistant", content: answer.reply.content });
    const results: ToolResultBlock[] = [];
    let called = false;
    for (const block of answer.reply.content) {
      if (block.type !== "tool_use") continue;
      called = true;
      if (block.name === resultToolName) {
        const problem = finish.check(block.input);
        if (problem === null) return { result: finish.value(block.input) };
        if (++repairs > 1) return failed("InvalidOutput", `\`${unit.name}\` returned a result that does not match its type, again after a repair turn: ${problem}`);
        results.push(errorResult(block.id, `The result does not match its type: ${problem}. Call \`${resultToolName}\` again with a corrected result.`));
        continue;
      }
      const tool = tools.get(block.name);
      if (tool === undefined) {
        results.push(errorResult(block.id, `There is no tool \`${block.name}\`. The tools: ${[...tools.keys(), resultToolName].join(", ")}.`));
        continue;
      }
      if (++toolCalls > agentTurnLimit) {
        results.push(errorResult(block.id, `No more tool calls: this attempt has made ${agentTurnLimit}. Call \`${resultToolName}\` with your result.`));
        continue;
      }
      const bound = bindInput(tool, block.input);
      if (typeof bound === "string") {
        results.push(errorResult(block.id, bound));
        continue;
      }
      const outcome = yield { op: tool.op, args: bound };
      results.push(toolResult(block.id, outcome));
    }
    if (!called) {
      if (++repairs > 1) return failed("InvalidOutput", `\`${unit.name}\` did not return its result: it answered without calling \`${resultToolName}\`, again after a repair turn`);
      messages.push({ role: "user", content: [{ type: "text", text: `You answered without calling a tool. Call \`${resultToolName}\` with your result, or a tool to get on with the work.` }] });
    } else {
      messages.push({ role: "user", content: results });
    }
  }
  return failed("InvalidOutput", `\`${unit.name}\` did not return its result within ${agentTurnLimit} turns`);
}

function systemPrompt(agent: string, tools: readonly string[]): string {
  const using = tools.length === 0 ? "" : ` Use the tools (${tools.join(", ")}) to do the work; they run in your sandbox, in your work tree.`;
  return `You are \`${agent}\`, an agent in a flow workflow.${using} When you are done, call \`${resultToolName}\` with your result; it is checked against its schema.`;
}

/** The model's input bound to the step's parameters: an object of exactly its parameters, an optional one null when left out; else why not. */
function bindInput(tool: AgentTool, input: Json): Readonly<Record<string, Json>> | string {
  const name = tool.definition.name;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return `The input of \`${name}\` must be an object of its parameters.`;
  const validate = validatorFor(tool.definition.inputSchema);
  if (!validate(input)) return `The input of \`${name}\` does not match its schema: ${schemaErrors(validate.errors)}.`;
  return Object.fromEntries(tool.params.map((p) => [p.name, input[p.name] ?? null]));
}

/**
 * What the ledger records is what the model reads: `sh`'s exit, stdout and stderr, not the fields a body derives; text
 * as it is. Canonical JSON: the live result and the one read back from the ledger have their keys in other orders.
 */
function toolResult(id: string, outcome: JournalRecord): ToolResultBlock {
  if ("failure" in outcome) return errorResult(id, `${outcome.failure.kind}: ${outcome.failure.message}`);
  const text = typeof outcome.result === "string" ? outcome.result : canonicalJson(outcome.result);
  const shown = text.length <= toolResultChars ? text : `${text.slice(0, toolResultChars)}\n[… ${text.length - toolResultChars} more characters not shown]`;
  return { type: "tool_result", toolUseId: id, content: shown, isError: false };
}

function errorResult(id: string, message: string): ToolResultBlock {
  return { type: "tool_result", toolUseId: id, content: message, isError: true };
}

function failed(kind: string, message: string): Outcome {
  return { failure: { kind, message } };
}

function cutOff(unit: AgentUnit, spent: { tokens: number; usd: number }, ceiling: { tokens: number | null; usd: number | null }): Outcome {
  const parts = [
    ...(ceiling.tokens === null ? [] : [`${spent.tokens} of its ${ceiling.tokens} tokens`]),
    ...(ceiling.usd === null ? [] : [`$${spent.usd.toFixed(4)} of its $${ceiling.usd.toFixed(2)}`]),
  ];
  return failed("BudgetExceeded", `\`${unit.name}\` was cut off at its budget's ceiling, having spent ${parts.join(" and ")}`);
}
