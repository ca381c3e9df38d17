import type { JsonSchema } from "../../../compiler/ir/json-schema.ts";
import type { Unit } from "../../../compiler/ir/unit.ts";

/**
 * What a body expects of a step's value beyond its declared type, where it
 * says so: `sh(…).json.total as float`, `trim(files.stdout) as int`,
 * `parse_json(read_file(p)) as List<Service>`. A simulated step cannot
 * know what a real command would print, but the program states what it
 * will accept: the simulated world answers with a value of that shape, so
 * the body goes on as it would with a world that answered as it expects.
 *
 * Found by reading the body's IR: each `as T` whose operand is a path of
 * fields from a step's call (directly, through a `let`, or through a pure
 * function such as `trim` or `parse_json` taking it first) demands `T` at
 * that path of that step's value. Demands are per call: a step the body
 * asks for at run time is matched to its call by its op and its text
 * arguments (`sh("npm ls ${pkg} --json")` matches `npm ls express --json`).
 */
export interface Demand {
  /** The type the value at this path is converted to, if it is converted. */
  schema?: JsonSchema;
  readonly fields: Map<string, Demand>;
}

/** A call of a step in a body that something is demanded of. */
export interface DemandedCall {
  readonly op: string;
  /** Whether a step asked for at run time, with these arguments, is this call. */
  readonly matches: (args: Readonly<Record<string, unknown>>) => boolean;
  readonly demand: Demand;
}

/** What a step the body asks for is demanded: the demand of the first call of its op its arguments match. */
export function demandFor(
  calls: readonly DemandedCall[],
  op: string,
  args: Readonly<Record<string, unknown>>,
): Demand | undefined {
  return calls.find((c) => c.op === op && c.matches(args))?.demand;
}

/** A body's calls of steps that something is demanded of, in the order their demands occur; `isStep` tells a step's op from a pure function's. */
export function stepDemands(unit: Unit, isStep: (op: string) => boolean): readonly DemandedCall[] {
  const demands = new Map<Expr, Demand>();
  if (unit.kind === "agent") return [];
  const lets = new Map<string, Expr>();
  walk(unit.body as unknown, (node) => {
    if (node.kind === "let" && typeof node.id === "string" && isExpr(node.value)) lets.set(node.id, node.value);
  });
  walk(unit.body as unknown, (node) => {
    if (node.kind !== "cast" || !isExpr(node.expr)) return;
    const root = rootOf(node.expr, lets, isStep, 0);
    if (root === null) return;
    let demand = child(demands, root.call);
    for (const field of root.path) demand = child(demand.fields, field);
    demand.schema ??= node.to as JsonSchema;
  });
  return [...demands].map(([call, demand]) => ({ op: String(call.op), matches: argumentMatcher(call), demand }));
}

/** The demand under `key`, made empty if there is none yet. */
function child<K>(demands: Map<K, Demand>, key: K): Demand {
  let demand = demands.get(key);
  if (demand === undefined) demands.set(key, (demand = { fields: new Map() }));
  return demand;
}

/**
 * Matches a call's text arguments as written (`"npm ls ${pkg} --json"`):
 * their literal parts in order, anything where they interpolate. Other
 * arguments are not compared.
 */
function argumentMatcher(call: Expr): (args: Readonly<Record<string, unknown>>) => boolean {
  const patterns: [string, RegExp][] = [];
  for (const arg of (call.args as readonly { readonly param: string; readonly value: unknown }[] | undefined) ?? []) {
    if (!isExpr(arg.value) || arg.value.kind !== "string") continue;
    const parts = arg.value.parts as readonly { readonly kind: string; readonly value?: string }[];
    const source = parts
      .map((p) => (p.kind === "text" ? (p.value ?? "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : "[\\s\\S]*"))
      .join("");
    patterns.push([arg.param, new RegExp(`^${source}$`, "u")]);
  }
  return (args) => patterns.every(([param, pattern]) => typeof args[param] === "string" && pattern.test(args[param] as string));
}

/** The demand at a path of a step's value, if any. */
export function demandAt(demand: Demand | undefined, ...path: readonly string[]): Demand | undefined {
  let at = demand;
  for (const field of path) at = at?.fields.get(field);
  return at;
}

/**
 * The schema a demand amounts to: its own type where the value is
 * converted whole, else a record of the fields read from it.
 */
export function demandSchema(demand: Demand): JsonSchema {
  if (demand.schema !== undefined) return demand.schema;
  const properties = Object.fromEntries([...demand.fields].map(([name, inner]) => [name, demandSchema(inner)]));
  return { type: "object", properties, required: Object.keys(properties) };
}

/** An IR expression, read loosely: the walk needs only kinds, fields and links. */
type Expr = { readonly kind: string; readonly [key: string]: unknown };

function isExpr(value: unknown): value is Expr {
  return typeof value === "object" && value !== null && typeof (value as { kind?: unknown }).kind === "string";
}

/** The step call a value is a path of fields from, and the path; null for anything else. */
function rootOf(
  expr: Expr,
  lets: ReadonlyMap<string, Expr>,
  isStep: (op: string) => boolean,
  depth: number,
): { readonly call: Expr; readonly path: readonly string[] } | null {
  // A `let` bound to itself cannot be written, but a bound on the walk costs nothing.
  if (depth > 50) return null;
  switch (expr.kind) {
    case "field": {
      const inner = isExpr(expr.object) ? rootOf(expr.object, lets, isStep, depth + 1) : null;
      return inner === null ? null : { call: inner.call, path: [...inner.path, String(expr.field)] };
    }
    case "call": {
      if (typeof expr.op !== "string") return null;
      if (isStep(expr.op)) return { call: expr, path: [] };
      // A pure function of the value (`trim`, `parse_json`): what it is converted to is asked of its first argument.
      const first = (expr.args as readonly { readonly value?: unknown }[] | undefined)?.[0]?.value;
      return isExpr(first) ? rootOf(first, lets, isStep, depth + 1) : null;
    }
    case "name": {
      const ref = expr.ref as { readonly kind?: string; readonly let?: string } | undefined;
      const bound = ref?.kind === "let" && ref.let !== undefined ? lets.get(ref.let) : undefined;
      return bound === undefined ? null : rootOf(bound, lets, isStep, depth + 1);
    }
    default:
      return null;
  }
}

/** Every object in a JSON tree, outside in. */
function walk(value: unknown, visit: (node: Expr) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (typeof value === "object" && value !== null) {
    if (isExpr(value)) visit(value);
    for (const member of Object.values(value)) walk(member, visit);
  }
}
