import { binaryPrecedence, castPrecedence, postfixPrecedence, prefixPrecedence } from "../../language/operators.ts";
import type { Expr, StringExpr } from "../../compiler/ir/body.ts";
import type { JsonSchema } from "../../compiler/ir/json-schema.ts";
import type { Ir } from "../../compiler/ir/schema.ts";
import type { Vertex } from "../../compiler/ir/workflow.ts";
import { formatValue } from "../../compiler/cost.ts";

/**
 * IR expressions and types written back as flow source text, for the
 * labels of `flow graph`: `filter(upgrades, u => len(u.failing) > 0)`,
 * `List<Migration, max 200>`. Only the IR is read: calls are named by their
 * op, vertices by their unit, types by their JSON Schema.
 */
export class FlowText {
  private readonly opNames: ReadonlyMap<string, string>;

  constructor(
    private readonly ir: Ir,
    private readonly vertices: ReadonlyMap<string, Vertex>,
  ) {
    this.opNames = new Map(ir.ops.map((op) => [op.id, op.name]));
  }

  /**
   * An expression in at most `width` characters: whole when it fits, else
   * with the bodies of its lambdas left out (`u => …`), else cut with `…`.
   */
  expr(e: Expr, width = Infinity): string {
    const whole = this.print(e, false);
    if (whole.length <= width) return whole;
    const short = this.print(e, true);
    return short.length <= width ? short : `${short.slice(0, Math.max(0, width - 1))}…`;
  }

  /** A call of a vertex as written: `migrate_package(repo, pkg, "npm", "turbo")`. */
  vertexCall(vertex: Vertex, width = Infinity): string {
    return this.expr({ kind: "vertex", vertex: vertex.id, span: vertex.span }, width);
  }

  /** A JSON Schema of the IR as the flow type it came from: `List<Package, max 200>`, `Review?`. */
  type(schema: JsonSchema): string {
    if (schema.$ref !== undefined) {
      const name = schema.$ref.replace(/^#\/\$defs\//, "");
      // A record, list or union written in place at a unit boundary is named after it (`list_packages.result`): show its structure.
      const defined = this.ir.types[name];
      return name.includes(".") && defined !== undefined ? this.type(defined) : name;
    }
    if (schema.anyOf !== undefined) {
      const inner = schema.anyOf.filter((s) => s.type !== "null");
      const text = inner.map((s) => this.type(s)).join(" | ");
      return inner.length === 1 && inner.length < schema.anyOf.length ? `${text}?` : text;
    }
    if (schema.not !== undefined) return "never";
    if (schema.const !== undefined) return quote(schema.const);
    if (schema.enum !== undefined) return schema.enum.map(quote).join(" | ");
    switch (schema.type) {
      case "string":
        return "string";
      case "integer":
        return schema.description?.includes("tokens") ? "tokens" : "int";
      case "number":
        if (schema.description?.includes("duration")) return "duration";
        if (schema.description?.includes("dollars")) return "usd";
        if (schema.description?.includes("fraction")) return "percent";
        return "float";
      case "boolean":
        return "bool";
      case "null":
        return "null";
      case "array": {
        const items = schema.items === undefined ? "json" : this.type(schema.items);
        return schema.maxItems === undefined ? `List<${items}>` : `List<${items}, max ${schema.maxItems}>`;
      }
      case "object": {
        const fields = Object.entries(schema.properties ?? {}).map(([name, s]) => `${name}: ${this.type(s)}`);
        return fields.length === 0 ? "{}" : `{ ${fields.join(", ")} }`;
      }
      case undefined:
        return "json";
    }
  }

  private print(e: Expr, elide: boolean): string {
    const p = (x: Expr, level = 0): string => {
      const text = this.print(x, elide);
      return precedence(x) < level ? `(${text})` : text;
    };
    switch (e.kind) {
      case "number":
        return e.integer || !Number.isInteger(e.value) ? String(e.value) : `${e.value}.0`;
      case "quantity":
        return quantity(e.dimension, e.value);
      case "string":
        return this.string(e, elide);
      case "bool":
        return String(e.value);
      case "null":
        return "null";
      case "name":
        return e.name;
      case "record":
        return e.fields.length === 0 ? "{}" : `{ ${e.fields.map((f) => `${f.name}: ${this.print(f.value, elide)}`).join(", ")} }`;
      case "list":
        return `[${e.items.map((i) => this.print(i, elide)).join(", ")}]`;
      case "field":
        return `${p(e.object, postfixPrecedence)}.${e.field}`;
      case "call":
        return `${this.opNames.get(e.op) ?? e.op}(${e.args.map((a) => this.print(a.value, elide)).join(", ")})`;
      case "vertex": {
        const vertex = this.vertices.get(e.vertex);
        if (vertex === undefined) return `${e.vertex}(…)`;
        return `${vertex.unit}(${vertex.args.map((a) => this.print(a.value, elide)).join(", ")})`;
      }
      case "unary":
        return `${e.op}${p(e.operand, prefixPrecedence)}`;
      case "binary": {
        const op = sourceOp(e.op);
        const level = binaryPrecedence[op];
        // `??` groups to the right, the others to the left; comparisons do not chain, so a nested one is parenthesised.
        const chains = level !== 4 && level !== 5;
        const left = e.op === "??" || !chains ? level + 1 : level;
        const right = e.op === "??" ? level : level + 1;
        return `${p(e.left, left)} ${op} ${p(e.right, right)}`;
      }
      case "cast":
        return `${p(e.expr, castPrecedence)} as ${this.type(e.to)}`;
      case "lambda": {
        const params = e.params.length === 1 ? e.params[0]! : `(${e.params.join(", ")})`;
        return `${params} => ${elide ? "…" : this.print(e.body, elide)}`;
      }
      case "for":
        return `for ${e.binding} in ${this.print(e.over, elide)} {…}`;
      case "signal":
        return `wait signal ${quote(e.barrier.replace(/^signal:/, "").replace(/#\d+$/, ""))}`;
    }
  }

  private string(e: StringExpr, elide: boolean): string {
    const parts = e.parts.map((part) => (part.kind === "text" ? escape(part.value) : `\${${this.print(part.expr, elide)}}`));
    return `"${parts.join("")}"`;
  }
}


/** The IR's `div` (whole-number division) is written `/`. */
function sourceOp(op: Extract<Expr, { kind: "binary" }>["op"]): Exclude<typeof op, "div"> {
  return op === "div" ? "/" : op;
}

/** How tightly an expression binds (grammar.md §3.8): a lambda loosest, a primary tightest. */
function precedence(e: Expr): number {
  switch (e.kind) {
    case "lambda":
      return 0;
    case "binary":
      return binaryPrecedence[sourceOp(e.op)];
    case "cast":
      return castPrecedence;
    case "unary":
      return prefixPrecedence;
    case "for":
    case "signal":
      // Written with their own keywords; as an operand they need parentheses.
      return 0;
    default:
      return postfixPrecedence + 1;
  }
}

/** A quantity in the unit a program would write it in: `7d`, `90m`, `200k`, `$2.00`, `5%`. */
export function quantity(dimension: "tokens" | "duration" | "money" | "percent", value: number): string {
  switch (dimension) {
    case "tokens":
      return formatValue(value, "tokens");
    case "money":
      return formatValue(value, "usd");
    case "percent":
      return `${Number((value * 100).toPrecision(12))}%`;
    case "duration":
      return duration(value);
  }
}

/** A duration in the largest unit that writes it whole: `7d`, `90m`, `1500ms`. */
export function duration(ms: number): string {
  for (const [suffix, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${suffix}`;
  }
  return `${ms}ms`;
}

/** A string literal as a program writes it. */
export function quote(text: string): string {
  return `"${escape(text)}"`;
}

function escape(text: string): string {
  return text.replace(/[\\"\n\r\t\0]|\$\{/g, (c) => {
    switch (c) {
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      case "\0":
        return "\\0";
      case "${":
        return "\\${";
      default:
        return `\\${c}`;
    }
  });
}
