import { z } from "zod";
import { Expr, Stmt, StringExpr } from "./body.ts";
import { Budget } from "./cost.ts";
import { Effect } from "./effect.ts";
import { JsonSchema } from "./json-schema.ts";
import { Span } from "./span.ts";

/** A parameter of a unit or workflow; an optional one (`T?`) may be left out and is then null. */
export const Param = z
  .strictObject({ name: z.string(), type: JsonSchema, optional: z.boolean(), span: Span })
  .meta({ id: "Param" });

export type Param = z.infer<typeof Param>;

/** `retry 3 backoff exp(30s, cap 10m) on [Timeout, Transient]`: `attempts` counts the first too (4 here). */
export const Retry = z
  .strictObject({
    attempts: z.int().positive(),
    backoff: z
      .strictObject({
        strategy: z.enum(["exp", "linear", "fixed"]),
        base: Expr,
        cap: Expr.nullable(),
      })
      .nullable(),
    /** The failure kinds that are retried; null when the clause names none. */
    on: z.array(z.string()).nullable(),
    span: Span,
  })
  .meta({ id: "Retry" });

export type Retry = z.infer<typeof Retry>;

/** What nodes, agents and verifiers share: a typed signature and their clauses. */
const common = {
  /** Unique among units and workflows: the declared name, with `-2`, `-3`… added when other files declare it too. */
  name: z.string(),
  span: Span,
  params: z.array(Param),
  result: JsonSchema,
  /** The `effects` clause: what the sandbox allows. */
  effects: z.array(Effect),
  /** What the body's steps (an agent's model and tools) use, inferred; within `effects`. */
  uses: z.array(Effect),
  budget: Budget,
  retry: Retry.nullable(),
  timeout: Expr.nullable(),
  /** `gate "name"`: the result is held for a human before anything downstream uses it. */
  gate: z.string().nullable(),
  /** `sandbox "profile"`. */
  sandbox: z.string().nullable(),
};

export const NodeUnit = z.strictObject({ kind: z.literal("node"), ...common, body: z.array(Stmt) });

export const VerifierUnit = z.strictObject({ kind: z.literal("verifier"), ...common, body: z.array(Stmt) });

export const AgentUnit = z.strictObject({
  kind: z.literal("agent"),
  ...common,
  /** The id of its model route in `routes`; null without a `models` clause. */
  route: z.string().nullable(),
  /** The std steps the model may call, ids in `ops`. */
  tools: z.array(z.string()),
  prompt: StringExpr,
});
export type AgentUnit = z.infer<typeof AgentUnit>;

/** A unit of work a workflow calls: a node (a sandbox session), an agent (a model loop) or a verifier (code that decides). */
export const Unit = z.discriminatedUnion("kind", [NodeUnit, AgentUnit, VerifierUnit]).meta({ id: "Unit" });

export type Unit = z.infer<typeof Unit>;

/** A model route: models in failover order, each with its price per million tokens, null when the price table lacks it. */
export const Route = z
  .strictObject({
    /** A `models` declaration's name, or `AGENT.models` for an agent's inline route. */
    id: z.string(),
    span: Span,
    models: z.array(
      z.strictObject({
        id: z.string(),
        price: z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }).nullable(),
      }),
    ),
  })
  .meta({ id: "Route" });

export type Route = z.infer<typeof Route>;

/**
 * A std function or step the program uses. Its id (`std/sandbox:git.diff@1`)
 * names the module, the function and the module's version: the interpreter
 * runs the implementation of exactly that version.
 */
export const Op = z
  .strictObject({
    id: z.string(),
    module: z.string(),
    name: z.string(),
    version: z.int().positive(),
    /** A step is journaled and runs in the sandbox; a function is pure. */
    kind: z.enum(["step", "function"]),
    effects: z.array(Effect),
  })
  .meta({ id: "Op" });

export type Op = z.infer<typeof Op>;
