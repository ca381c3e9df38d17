import type { JsonSchema } from "../compiler/ir/json-schema.ts";
import type { Workflow } from "../compiler/ir/workflow.ts";
import { showType } from "../compiler/verify-ir/show-type.ts";
import { validateValue } from "../interpreter/core/validate-value.ts";
import type { Json } from "../interpreter/ledger/entry.ts";
import { UsageError } from "./exit-codes.ts";
import { parseJsonGiven, readJsonFile } from "./json-file.ts";
import { whatIsWrong } from "./value-problem.ts";

/**
 * A workflow's arguments from the command line: `--arg name=value` (a
 * `string` parameter takes the text as it is, any other parses it as
 * JSON, so `--arg limit=20`, `--arg seeds='{"a":1}'`) and `--args FILE`
 * (a JSON object); `--arg` wins over the file, and may name a parameter once. Each is checked against its
 * parameter's type before the run starts.
 */
export function workflowArgs(workflow: Workflow, types: Readonly<Record<string, JsonSchema>>, pairs: readonly string[], file: string | undefined): Record<string, Json> {
  const given: Record<string, Json> = file === undefined ? {} : readArgsFile(file);
  const params = new Map(workflow.params.map((p) => [p.name, p]));
  const usage = usageOf(workflow, types);
  const named = new Set<string>();
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`\`--arg ${pair}\` is not \`name=value\``, { hint: usage });
    const name = pair.slice(0, at);
    const text = pair.slice(at + 1);
    const param = params.get(name);
    if (param === undefined) throw new UsageError(`\`${workflow.name}\` has no parameter \`${name}\``, { hint: usage });
    // The second of two silently winning would run the workflow on a value the user may not have meant.
    if (named.has(name)) throw new UsageError(`\`--arg ${name}=…\` is given twice`, { hint: "give each argument once" });
    named.add(name);
    given[name] = isText(param.type, types) ? text : parseJsonGiven(text, `--arg ${name}`, argHint) as Json;
  }
  return checkedArgs(workflow, types, given);
}

/** Arguments given by name (from the command line, a file, or `POST /api/runs`), each checked against its parameter's type; a missing optional one is null. */
export function checkedArgs(workflow: Workflow, types: Readonly<Record<string, JsonSchema>>, given: Readonly<Record<string, Json>>): Record<string, Json> {
  const params = new Set(workflow.params.map((p) => p.name));
  const usage = usageOf(workflow, types);
  for (const name of Object.keys(given)) {
    if (!params.has(name)) throw new UsageError(`\`${workflow.name}\` has no parameter \`${name}\``, { hint: usage });
  }
  const args: Record<string, Json> = {};
  for (const param of workflow.params) {
    const value = given[param.name];
    if (value === undefined || value === null) {
      if (!param.optional) throw new UsageError(`missing the argument \`${param.name}\` of \`${workflow.name}\``, { hint: `give it with \`--arg ${param.name}=…\`; ${usage}` });
      args[param.name] = null;
      continue;
    }
    const problem = validateValue(value, param.type, types);
    if (problem !== null) throw new UsageError(`the argument \`${param.name}\` does not fit \`${showType(param.type, types)}\`: ${whatIsWrong(problem)}`, { hint: usage });
    args[param.name] = value;
  }
  return args;
}

function usageOf(workflow: Workflow, types: Readonly<Record<string, JsonSchema>>): string {
  return `\`${workflow.name}\` takes ${workflow.params.length === 0 ? "no arguments" : workflow.params.map((p) => `${p.name}: ${showType(p.type, types)}`).join(", ")}`;
}

function isText(schema: JsonSchema, types: Readonly<Record<string, JsonSchema>>): boolean {
  const resolved = schema.$ref === undefined ? schema : types[schema.$ref.slice("#/$defs/".length)];
  if (resolved?.anyOf !== undefined) return resolved.anyOf[0] !== undefined && isText(resolved.anyOf[0], types);
  return resolved?.type === "string";
}

function readArgsFile(path: string): Record<string, Json> {
  const value = readJsonFile(path, argHint) as Json;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`\`${path}\` must hold a JSON object of arguments by name`);
  return value;
}

const argHint = "a string parameter takes its text as it is; any other takes JSON";
