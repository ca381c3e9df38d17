import { readFileSync } from "node:fs";
import { z } from "zod";
import { canonicalJson } from "../../compiler/ir/hash.ts";
import { Json } from "../ledger/entry.ts";
import { type ModelReply, type ModelRequest, Usage } from "./conversation.ts";
import { type Provider, ProviderError } from "./provider.ts";

/**
 * The `scripted` provider: answers from a fixture file, so that examples
 * run offline and tests are deterministic. An answer is keyed by the
 * agent, the turn and, where one agent is called with different inputs,
 * the request: its hash (as a missing answer's error prints it) or a
 * regular expression its prompt must match, whose groups the reply may
 * use as `{{1}}`, `{{2}}`… (a model reads the repository's URL from its
 * prompt; a script can too).
 *
 *     { "answers": [
 *       { "agent": "review", "turn": 1, "reply": { "tool_calls": [{ "name": "sh", "input": { "command": "ls" } }] } },
 *       { "agent": "review", "turn": 2, "match": "Review (\\S+)", "reply": { "finish": { "verdict": "approve" } } }
 *     ] }
 *
 * A reply gives `text`, `tool_calls`, and `finish` (a call of the result
 * tool with that input), and may give `usage`; without it, usage is
 * counted as a quarter of the request's and the reply's characters.
 */

const ScriptedReply = z.strictObject({
  text: z.string().optional(),
  tool_calls: z.array(z.strictObject({ name: z.string().min(1), input: z.record(z.string(), Json).default({}) })).default([]),
  finish: Json.optional(),
  usage: Usage.optional(),
});

const ScriptedAnswer = z.strictObject({
  agent: z.string().min(1),
  turn: z.int().positive(),
  /** The request's hash (sha256, hex, or a prefix of at least 8 digits of it). */
  request: z.string().regex(/^[0-9a-f]{8,64}$/, "a request hash: 8 to 64 lowercase hex digits").optional(),
  /** A regular expression the prompt (the first message) must match. */
  match: z.string().min(1).optional(),
  reply: ScriptedReply,
});

export const ScriptFile = z.strictObject({ answers: z.array(ScriptedAnswer) });
export type ScriptFile = z.infer<typeof ScriptFile>;
export type ScriptInput = z.input<typeof ScriptFile>;

/** A fixture file that cannot be used: unreadable, not JSON, not a script, or a `match` that is no regular expression. */
export class ScriptError extends Error {}

export function readScript(path: string): ScriptFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ScriptError(`cannot read the script ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ScriptError(`the script ${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = ScriptFile.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScriptError(`the script ${path}: ${issue?.path.join(".") || "(top)"}: ${issue?.message ?? "invalid"}`);
  }
  for (const [i, answer] of parsed.data.answers.entries()) {
    if (answer.match === undefined) continue;
    try {
      new RegExp(answer.match, "u");
    } catch (error) {
      throw new ScriptError(`the script ${path}: answers.${i}.match: ${(error as Error).message}`);
    }
  }
  return parsed.data;
}

/** The provider `name`, answering from the script at `path` (read now), or from `script` as given (a test's). */
export function scriptedProvider(name: string, path: string, script?: z.input<typeof ScriptFile>): Provider {
  const answers = script === undefined ? readScript(path) : ScriptFile.parse(script);
  return {
    name,
    call: async (request) => answer(answers, path, request),
  };
}

function answer(script: ScriptFile, path: string, request: ModelRequest): ModelReply {
  const { agent, turn, requestHash } = request.caller;
  const first = request.messages[0]?.content[0];
  const prompt = first?.type === "text" ? first.text : "";
  const candidates = script.answers.filter((a) => a.agent === agent && a.turn === turn);
  // The most particular key first: the request itself, then its prompt, then the agent and turn alone.
  let groups: readonly string[] = [];
  let chosen = candidates.find((a) => a.request !== undefined && requestHash.startsWith(a.request));
  if (chosen === undefined) {
    for (const candidate of candidates) {
      if (candidate.request !== undefined || candidate.match === undefined) continue;
      const found = new RegExp(candidate.match, "u").exec(prompt);
      if (found === null) continue;
      chosen = candidate;
      groups = found.slice(1).map((g) => g ?? "");
      break;
    }
  }
  chosen ??= candidates.find((a) => a.request === undefined && a.match === undefined);
  if (chosen === undefined) {
    const key = canonicalJson({ agent, turn, request: requestHash.slice(0, 16) });
    throw new ProviderError("not_scripted", `no scripted answer for the agent \`${agent}\`, turn ${turn}, request ${requestHash.slice(0, 16)} in ${path}: add an answer keyed ${key}`);
  }
  const fill = (value: Json): Json => substitute(value, groups);
  const content: ModelReply["content"] = [
    ...(chosen.reply.text === undefined ? [] : [{ type: "text" as const, text: fill(chosen.reply.text) as string }]),
    ...chosen.reply.tool_calls.map((call, i) => ({ type: "tool_use" as const, id: `scripted-${turn}-${i + 1}`, name: call.name, input: fill(call.input) })),
    ...(chosen.reply.finish === undefined ? [] : [{ type: "tool_use" as const, id: `scripted-${turn}-finish`, name: "finish", input: fill(chosen.reply.finish) }]),
  ];
  const usage = chosen.reply.usage ?? {
    input: Math.ceil(canonicalJson({ system: request.system, messages: request.messages, tools: request.tools } as unknown as Json).length / 4),
    output: Math.ceil(canonicalJson(content as unknown as Json).length / 4),
  };
  const called = content.some((block) => block.type === "tool_use");
  return { content, stop: called ? "tool_use" : "end", usage: { input: usage.input, output: Math.min(usage.output, request.maxTokens) } };
}

/** `{{1}}`, `{{2}}`… in the reply's strings replaced with the prompt's matched groups. */
function substitute(value: Json, groups: readonly string[]): Json {
  if (typeof value === "string") return groups.length === 0 ? value : value.replace(/\{\{(\d)\}\}/g, (whole, n: string) => groups[Number(n) - 1] ?? whole);
  if (Array.isArray(value)) return value.map((item) => substitute(item, groups));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, groups)]));
  return value;
}
