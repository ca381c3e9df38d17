import type { JsonSchema } from "../../compiler/ir/json-schema.ts";
import { schemaErrors, validatorFor } from "../../stdlib/runtime/schema-validators.ts";
import type { Json } from "../ledger/entry.ts";
import type { ToolDefinition } from "./conversation.ts";

/**
 * How an agent returns its typed result: by calling the tool `finish`,
 * whose input schema is the declared return type's JSON Schema. A tool,
 * not free text, because every provider validates a tool call's shape and
 * both APIs can oblige the model to call one. The providers take only an
 * object as a tool's input, so a result of another type (`string`,
 * `List<Finding>`) is the field `result` of one.
 */
export interface ResultTool {
  readonly definition: ToolDefinition;
  /** null when the input is a valid result, else what is wrong with it, for the model's repair turn and the failure. */
  check(input: Json): string | null;
  /** The result an accepted input carries. */
  value(input: Json): Json;
}

export const resultToolName = "finish";

export function resultTool(result: JsonSchema, types: Readonly<Record<string, JsonSchema>>): ResultTool {
  const top = result.$ref === undefined ? result : (types[refName(result.$ref)] ?? result);
  const wrapped = top.type !== "object";
  const body: Record<string, Json> = wrapped
    ? { type: "object", properties: { result: result as Json }, required: ["result"], additionalProperties: false }
    : (top as Record<string, Json>);
  const defs = reachableDefs(body, types);
  const inputSchema: Json = Object.keys(defs).length === 0 ? body : { ...body, $defs: defs };
  const validate = validatorFor(inputSchema);
  return {
    definition: {
      name: resultToolName,
      description: "Return your final answer, which ends your work. Call it once, when you are done, with the result in the shape its schema gives.",
      inputSchema,
    },
    check: (input) => (validate(input) ? null : schemaErrors(validate.errors)),
    value: (input) => (wrapped ? ((input as Record<string, Json>)["result"] ?? null) : input),
  };
}

function refName(ref: string): string {
  return ref.slice("#/$defs/".length);
}

/** The named types a schema uses, directly or through each other, by name in sorted order: the `$defs` it needs, no more. */
function reachableDefs(schema: Json, types: Readonly<Record<string, JsonSchema>>): Record<string, Json> {
  const found = new Set<string>();
  const visit = (value: Json): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (typeof value === "object" && value !== null) {
      for (const [key, member] of Object.entries(value)) {
        if (key === "$ref" && typeof member === "string") {
          const name = refName(member);
          if (!found.has(name) && types[name] !== undefined) {
            found.add(name);
            visit(types[name] as Json);
          }
        } else visit(member);
      }
    }
  };
  visit(schema);
  return Object.fromEntries([...found].sort().map((name) => [name, types[name] as Json]));
}
