import { z } from "zod";
import { JsonSchema } from "./json-schema.ts";
import { Span } from "./span.ts";

/**
 * Bodies as a small instruction tree: the statements and expressions of
 * nodes, verifiers, workflows, prompts and clauses, with every name and
 * callee resolved, so that nothing downstream looks a name up again. Names
 * never shadow one another in flow, so a lambda's parameters are found by
 * name; every other name says what it refers to.
 */

/** What a name refers to: a parameter of the unit or workflow, a `let`, the item of a `for`, or a lambda's parameter. */
export const Ref = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("param") }),
    z.strictObject({ kind: z.literal("let"), let: z.string() }),
    z.strictObject({ kind: z.literal("item"), for: z.string() }),
    z.strictObject({ kind: z.literal("lambda") }),
  ])
  .meta({ id: "Ref" });

export type Ref = z.infer<typeof Ref>;

/** `tolerate 3` (items) or `tolerate 5%` (a share of them, 0.05). */
export const Tolerate = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("count"), value: z.int().nonnegative() }),
    z.strictObject({ kind: z.literal("share"), value: z.number().nonnegative() }),
  ])
  .meta({ id: "Tolerate" });

export type Tolerate = z.infer<typeof Tolerate>;

const node = <K extends string>(kind: K) => ({ kind: z.literal(kind), span: Span });

// Each variant is its own schema, and each recursive member a getter with its type written out: TypeScript
// infers a recursive schema only through such annotations (zod's documented pattern for recursion).

const Arg = z.strictObject({
  /** The parameter it is bound to, positional or named in the source. */
  param: z.string(),
  get value(): typeof Expr {
    return Expr;
  },
});

const TextPart = z.strictObject({ kind: z.literal("text"), value: z.string() });

const InterpolationPart = z.strictObject({
  kind: z.literal("interpolation"),
  get expr(): typeof Expr {
    return Expr;
  },
});

const RecordField = z.strictObject({
  name: z.string(),
  get value(): typeof Expr {
    return Expr;
  },
});

const NumberExpr = z.strictObject({ ...node("number"), value: z.number(), integer: z.boolean() });

/** In the dimension's base unit: tokens, milliseconds, US dollars, or a fraction for a percentage. */
const QuantityExpr = z.strictObject({
  ...node("quantity"),
  dimension: z.enum(["tokens", "duration", "money", "percent"]),
  value: z.number(),
});

/** Text and `${…}` parts in order; a constant string has one text part (none when empty). */
export const StringExpr = z.strictObject({
  ...node("string"),
  parts: z.array(z.discriminatedUnion("kind", [TextPart, InterpolationPart])),
});

export type StringExpr = z.infer<typeof StringExpr>;

const BoolExpr = z.strictObject({ ...node("bool"), value: z.boolean() });

const NullExpr = z.strictObject({ ...node("null") });

const NameExpr = z.strictObject({ ...node("name"), name: z.string(), ref: Ref });

const RecordExpr = z.strictObject({ ...node("record"), fields: z.array(RecordField) });

const ListExpr = z.strictObject({
  ...node("list"),
  get items(): z.ZodArray<typeof Expr> {
    return z.array(Expr);
  },
});

const FieldExpr = z.strictObject({
  ...node("field"),
  get object(): typeof Expr {
    return Expr;
  },
  field: z.string(),
});

/** A call of a std function or step: `op` is its id in the IR's `ops`. */
const CallExpr = z.strictObject({ ...node("call"), op: z.string(), args: z.array(Arg) });

/** A call of a node, agent, verifier or workflow in a workflow: one of its `vertices`, which holds the arguments. */
const VertexExpr = z.strictObject({ ...node("vertex"), vertex: z.string() });

const UnaryExpr = z.strictObject({
  ...node("unary"),
  op: z.enum(["!", "-"]),
  get operand(): typeof Expr {
    return Expr;
  },
});

/** `div` is `/` of two `int`s, rounded toward zero; `/` is any other division. */
const BinaryExpr = z.strictObject({
  ...node("binary"),
  op: z.enum(["??", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "div"]),
  get left(): typeof Expr {
    return Expr;
  },
  get right(): typeof Expr {
    return Expr;
  },
});

/** `x as T`: a conversion checked when it runs, to the type `to`. */
const CastExpr = z.strictObject({
  ...node("cast"),
  get expr(): typeof Expr {
    return Expr;
  },
  /** The type of the value converted: `json` (`{}`) is validated against `to`, anything else converted (`"3" as int`). */
  from: JsonSchema,
  to: JsonSchema,
});

const LambdaExpr = z.strictObject({
  ...node("lambda"),
  params: z.array(z.string()),
  get body(): typeof Expr {
    return Expr;
  },
});

/**
 * `for item in over { … }`: one item per element, in input order, each the
 * value of the body's last expression statement. In a workflow it is a
 * fan-out (its template, with the same id, is in the workflow's `fanOuts`);
 * in a node, a loop.
 */
const ForExpr = z.strictObject({
  ...node("for"),
  id: z.string(),
  binding: z.string(),
  get over(): typeof Expr {
    return Expr;
  },
  concurrency: z.int().positive().nullable(),
  tolerate: Tolerate.nullable(),
  limit: z.int().positive().nullable(),
  get body(): z.ZodArray<typeof Stmt> {
    return z.array(Stmt);
  },
});

/** `wait signal "…" -> T`: the value of a workflow barrier (its `barriers` entry says the signal and type). */
const SignalExpr = z.strictObject({ ...node("signal"), barrier: z.string() });

type ExprVariants = [
  typeof NumberExpr,
  typeof QuantityExpr,
  typeof StringExpr,
  typeof BoolExpr,
  typeof NullExpr,
  typeof NameExpr,
  typeof RecordExpr,
  typeof ListExpr,
  typeof FieldExpr,
  typeof CallExpr,
  typeof VertexExpr,
  typeof UnaryExpr,
  typeof BinaryExpr,
  typeof CastExpr,
  typeof LambdaExpr,
  typeof ForExpr,
  typeof SignalExpr,
];

export const Expr: z.ZodDiscriminatedUnion<ExprVariants> = z
  .discriminatedUnion("kind", [
    NumberExpr,
    QuantityExpr,
    StringExpr,
    BoolExpr,
    NullExpr,
    NameExpr,
    RecordExpr,
    ListExpr,
    FieldExpr,
    CallExpr,
    VertexExpr,
    UnaryExpr,
    BinaryExpr,
    CastExpr,
    LambdaExpr,
    ForExpr,
    SignalExpr,
  ])
  .meta({ id: "Expr" });

export type Expr = z.infer<typeof Expr>;

/** `type` is the declared type (`let x: T = …`), null when inferred. */
const LetStmt = z.strictObject({ ...node("let"), id: z.string(), name: z.string(), type: JsonSchema.nullable(), value: Expr });

const ExprStmt = z.strictObject({ ...node("expr"), expr: Expr });

const ReturnStmt = z.strictObject({ ...node("return"), value: Expr });

/** `else if` is an `else` holding one `if`; no `else` is an empty one. */
const IfStmt = z.strictObject({
  ...node("if"),
  cond: Expr,
  get then(): z.ZodArray<typeof Stmt> {
    return z.array(Stmt);
  },
  get else(): z.ZodArray<typeof Stmt> {
    return z.array(Stmt);
  },
});

const CheckpointStmt = z.strictObject({ ...node("checkpoint"), label: z.string() });

const FailStmt = z.strictObject({ ...node("fail"), error: z.string(), message: Expr });

/** `verify`, `approve` or `sleep` in a workflow: the `barriers` entry with this id. */
const BarrierStmt = z.strictObject({ ...node("barrier"), barrier: z.string() });

type StmtVariants = [
  typeof LetStmt,
  typeof ExprStmt,
  typeof ReturnStmt,
  typeof IfStmt,
  typeof CheckpointStmt,
  typeof FailStmt,
  typeof BarrierStmt,
];

export const Stmt: z.ZodDiscriminatedUnion<StmtVariants> = z
  .discriminatedUnion("kind", [LetStmt, ExprStmt, ReturnStmt, IfStmt, CheckpointStmt, FailStmt, BarrierStmt])
  .meta({ id: "Stmt" });

export type Stmt = z.infer<typeof Stmt>;
