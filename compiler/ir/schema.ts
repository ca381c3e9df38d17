import { z } from "zod";
import { JsonSchema } from "./json-schema.ts";
import { Op, Route, Unit } from "./unit.ts";
import { readableIrVersions } from "./version.ts";
import { Workflow } from "./workflow.ts";

/**
 * The IR: one JSON document per compiled program, defined here once. The
 * TypeScript types are inferred from these schemas and `ir.schema.json` is
 * generated from them (`npm run ir:schema`); docs/ir.md describes it.
 *
 * It is deterministic: arrays are in source order (files in the order they
 * are loaded, entry first; declarations as written), `ops` sorted by id,
 * ids derived from names and positions, and nothing depends on the machine
 * or the directory it was compiled in.
 */

export const SourceFile = z
  .strictObject({
    /** Relative to the entry file's directory. */
    path: z.string(),
    /** Of the file's text, UTF-8, hex. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /**
     * Where each line begins, as a UTF-16 offset (the first is 0), so that a failure at run time names the line and
     * column of its span without the file's text, on any machine. Since version 2; absent from version 1, as in ledgers
     * recorded then, whose failures name the offset, as they were recorded.
     */
    lines: z.array(z.int().nonnegative()).optional(),
  })
  .meta({ id: "SourceFile" });

export const Ir = z
  .strictObject({
    irVersion: z.literal(readableIrVersions),
    /** The entry file, as in `sources`. */
    entry: z.string(),
    /** The program's files, entry first, then those it imports in the order they are loaded; std modules are in `ops`. */
    sources: z.array(SourceFile),
    /** The version of the price table the costs were computed with (stdlib/prices.json). */
    priceTable: z.string(),
    /** Every named type of the program's files, and every other type that crosses a unit boundary, by name. */
    types: z.record(z.string(), JsonSchema),
    routes: z.array(Route),
    /** Sorted by id. */
    ops: z.array(Op),
    units: z.array(Unit),
    workflows: z.array(Workflow),
  })
  .meta({ id: "Ir" });

export type Ir = z.infer<typeof Ir>;

/** What `flow compile` writes: the IR and its content hash, `sha256(canonical JSON of ir)`. */
export const IrFile = z
  .strictObject({
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    ir: Ir,
  })
  .meta({ id: "IrFile", title: "flow IR", description: "A compiled flow program (docs/ir.md)" });

export type IrFile = z.infer<typeof IrFile>;
