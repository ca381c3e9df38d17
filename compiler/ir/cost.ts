import { z } from "zod";
import { Span } from "./span.ts";

/**
 * A worst-case figure in its unit's base: tokens, US dollars, or
 * milliseconds (compute and wall). A number when something in the program
 * bounds it; otherwise unbounded (nothing limits it) or unknown (a model
 * has no price), each with what causes it, never a silent 0.
 */
export const Amount = z
  .union([
    z.number().nonnegative(),
    z.strictObject({
      kind: z.enum(["unbounded", "unknown"]),
      cause: z.strictObject({ what: z.string(), span: Span }),
    }),
  ])
  .meta({ id: "Amount" });

export type Amount = z.infer<typeof Amount>;

export const CostVector = z
  .strictObject({ tokens: Amount, usd: Amount, compute: Amount, wall: Amount })
  .meta({ id: "CostVector" });

export type CostVector = z.infer<typeof CostVector>;

export const CostUnit = z.enum(["tokens", "usd", "compute", "wall"]);

export type CostUnit = z.infer<typeof CostUnit>;

/** A `budget { … }` clause: the ceiling of each unit it names, null for the others. */
export const Budget = z
  .strictObject({
    tokens: z.number().nonnegative().nullable(),
    usd: z.number().nonnegative().nullable(),
    compute: z.number().nonnegative().nullable(),
    wall: z.number().nonnegative().nullable(),
  })
  .meta({ id: "Budget" });

export type Budget = z.infer<typeof Budget>;
