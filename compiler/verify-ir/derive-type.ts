import type { Expr } from "../ir/body.ts";
import type { JsonSchema } from "../ir/json-schema.ts";
import type { IrIndex, WorkflowIndex } from "./ir-index.ts";
import { none, pathOf } from "./narrowing.ts";
import type { SchemaSubset } from "./schema-subset.ts";

/**
 * The type of a workflow expression, where the IR alone says it: a
 * vertex's value is its callee's result, a parameter's is its type, a
 * fan-out's item is an item of its list, a `let` has its declared type or
 * its value's, a field is the property of its record, a signal has its
 * barrier's type, a constant its own (`"npm"` is `{"type":"string","const":"npm"}`)
 * and a record of such values their record. Anything else (an op's
 * result, arithmetic, a list, a `for`'s yield) is undefined: only the
 * checker knew it, and the IR records it where it crosses a boundary.
 * Each type given is the narrowest: the recorded type must hold it; a
 * name or field in `narrowed` (narrowing.ts: proven not null where it
 * stands) is not null.
 */
export function deriveType(expr: Expr, graph: WorkflowIndex, index: IrIndex, subset: SchemaSubset, narrowed: ReadonlySet<string> = none, depth = 0): JsonSchema | undefined {
  if (depth > 32) return undefined;
  const derived = derive(expr, graph, index, subset, narrowed, depth);
  if (derived === undefined || narrowed.size === 0) return derived;
  const path = pathOf(expr);
  return path !== undefined && narrowed.has(path) ? withoutNull(derived, subset) : derived;
}

function derive(expr: Expr, graph: WorkflowIndex, index: IrIndex, subset: SchemaSubset, narrowed: ReadonlySet<string>, depth: number): JsonSchema | undefined {
  // What is proven not null where `expr` stands holds for its parts, not where a `let`'s value was computed.
  const again = (e: Expr, at = narrowed) => deriveType(e, graph, index, subset, at, depth + 1);
  switch (expr.kind) {
    case "vertex": {
      const vertex = graph.vertices.get(expr.vertex);
      const callee = vertex === undefined ? undefined : index.callee(vertex.value.unit);
      if (callee === undefined) return undefined;
      return callee.kind === "unit" ? callee.unit.result : callee.workflow.result;
    }
    case "name":
      switch (expr.ref.kind) {
        case "param":
          return graph.workflow.params.find((p) => p.name === expr.name)?.type;
        case "item": {
          const list = graph.fanOuts.get(expr.ref.for)?.value.list;
          return list === undefined ? undefined : unfold(list, subset)?.items;
        }
        case "let": {
          const stmt = graph.letStmts.get(expr.ref.let)?.value;
          if (stmt === undefined) return undefined;
          return stmt.type ?? again(stmt.value, none);
        }
        case "lambda":
          return undefined;
      }
      return undefined;
    case "field": {
      const object = again(expr.object);
      const record = object === undefined ? undefined : unfold(object, subset);
      return record?.type === "object" ? record.properties?.[expr.field] : undefined;
    }
    case "signal": {
      const barrier = graph.barriers.get(expr.barrier)?.value;
      return barrier?.kind === "signal" ? barrier.type : undefined;
    }
    case "cast":
      return expr.to;
    case "string":
      return expr.parts.every((p) => p.kind === "text") ? { type: "string", const: expr.parts.map((p) => (p.kind === "text" ? p.value : "")).join("") } : { type: "string" };
    case "number":
      return { type: expr.integer ? "integer" : "number" };
    case "quantity":
      return { type: expr.dimension === "tokens" ? "integer" : "number" };
    case "bool":
      return { type: "boolean" };
    case "null":
      return { type: "null" };
    case "record": {
      const properties: Record<string, JsonSchema> = {};
      for (const field of expr.fields) {
        const type = again(field.value);
        if (type === undefined) return undefined;
        properties[field.name] = type;
      }
      return { type: "object", properties, required: expr.fields.map((f) => f.name), additionalProperties: false };
    }
    default:
      return undefined;
  }
}

/** A type proven not null where it is used: `T?` is `T`. */
function withoutNull(schema: JsonSchema, subset: SchemaSubset): JsonSchema {
  const union = unfold(schema, subset)?.anyOf;
  if (union === undefined || !union.some((m) => m.type === "null")) return schema;
  const rest = union.filter((m) => m.type !== "null");
  return rest.length === 1 ? rest[0]! : { anyOf: rest };
}

/** A schema with its `$ref`s followed: what it is, structurally. */
export function unfold(schema: JsonSchema, subset: SchemaSubset): JsonSchema | undefined {
  let at: JsonSchema | undefined = schema;
  for (let hops = 0; at?.$ref !== undefined; hops++) {
    if (hops > 64) return undefined;
    at = subset.target(at.$ref);
  }
  return at;
}
