import type * as A from "../../language/ast.ts";
import { stdTable } from "../../compiler/verify-ir/std-table.ts";
import type { Json } from "../ledger/entry.ts";
import type { ToolDefinition } from "./conversation.ts";

/**
 * An agent's tool as the model sees it and as the loop calls it: a std
 * step (`std/sandbox:git.diff@1`), named for the wire (`git_diff`: the
 * providers allow letters, digits, `_` and `-`), described by its
 * declaration's comment, its input a JSON Schema of its parameters. The
 * std declarations are the one source of all three, so a tool can never
 * be described one way and called another.
 */
export interface AgentTool {
  readonly op: string;
  readonly definition: ToolDefinition;
  /** The step's parameters in order; an optional one the model leaves out is passed as null. */
  readonly params: readonly { readonly name: string; readonly optional: boolean }[];
}

const tools = new Map<string, AgentTool>();

/** The tool for a step's op id; throws for an op that is not a std step (verifyIr refuses such an IR first). */
export function agentTool(op: string): AgentTool {
  let tool = tools.get(op);
  if (tool === undefined) {
    tool = describe(op);
    tools.set(op, tool);
  }
  return tool;
}

function describe(op: string): AgentTool {
  const match = /^(.+):(.+)@(\d+)$/.exec(op);
  const module = match === null ? undefined : stdTable().get(match[1] as string);
  const declaration = module?.functions.get(match?.[2] as string);
  if (match === null || module === undefined || declaration === undefined || declaration.kind !== "step") throw new Error(`internal: \`${op}\` is not a std step`);
  const name = (match[2] as string).replaceAll(".", "_");
  const properties: Record<string, Json> = {};
  const required: string[] = [];
  const params = declaration.signature.params.map((param) => {
    const optional = param.type.kind === "OptionalType";
    properties[param.name.name] = schemaOf(optional ? (param.type as A.OptionalType).inner : param.type, module.types);
    if (!optional) required.push(param.name.name);
    return { name: param.name.name, optional };
  });
  const description = declaration.doc === "" ? `The step \`${match[2]}\` of ${match[1]}.` : declaration.doc;
  return { op, params, definition: { name, description, inputSchema: { type: "object", properties, required, additionalProperties: false } } };
}

/** A std parameter's type as JSON Schema; a type no tool parameter has yet (a lambda) accepts anything. */
function schemaOf(type: A.TypeExpr, types: ReadonlyMap<string, A.TypeExpr>): Json {
  switch (type.kind) {
    case "NamedType":
      switch (type.name.name) {
        case "string":
          return { type: "string" };
        case "int":
          return { type: "integer" };
        case "float":
          return { type: "number" };
        case "bool":
          return { type: "boolean" };
        case "duration":
          return { type: "integer", minimum: 0, description: "milliseconds" };
        case "json":
          return {};
        default: {
          const declared = types.get(type.name.name);
          return declared === undefined ? {} : schemaOf(declared, types);
        }
      }
    case "ListType":
      return { type: "array", items: schemaOf(type.element, types) };
    case "RecordType":
      return {
        type: "object",
        properties: Object.fromEntries(type.fields.map((field) => [field.name.name, schemaOf(field.type, types)])),
        required: type.fields.map((field) => field.name.name),
        additionalProperties: false,
      };
    case "OptionalType":
      return { anyOf: [schemaOf(type.inner, types), { type: "null" }] };
    case "UnionType":
      return { anyOf: type.members.map((member) => schemaOf(member, types)) };
    case "LiteralType":
      return { const: type.value };
    case "FunctionType":
    case "ErrorType":
      return {};
  }
}
