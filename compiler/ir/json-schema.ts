import { z } from "zod";

/**
 * The part of JSON Schema (draft 2020-12) the IR uses to describe the
 * values of flow types. Every value that crosses a node boundary is
 * validated against one at run time. A named type is `{ "$ref":
 * "#/$defs/Name" }`, resolved against the IR's `types`, which serve as
 * `$defs` (see `schemaWithDefs` in type-refs.ts).
 */
export const JsonSchema = z
  .strictObject({
    $ref: z.string().optional(),
    type: z.enum(["string", "integer", "number", "boolean", "null", "array", "object"]).optional(),
    description: z.string().optional(),
    const: z.string().optional(),
    enum: z.array(z.string()).optional(),
    get items(): z.ZodOptional<typeof JsonSchema> {
      return JsonSchema.optional();
    },
    maxItems: z.int().nonnegative().optional(),
    get properties(): z.ZodOptional<z.ZodRecord<z.ZodString, typeof JsonSchema>> {
      return z.record(z.string(), JsonSchema).optional();
    },
    required: z.array(z.string()).optional(),
    additionalProperties: z.literal(false).optional(),
    get anyOf(): z.ZodOptional<z.ZodArray<typeof JsonSchema>> {
      return z.array(JsonSchema).optional();
    },
    get not(): z.ZodOptional<typeof JsonSchema> {
      return JsonSchema.optional();
    },
  })
  .meta({ id: "JsonSchema" });

export type JsonSchema = z.infer<typeof JsonSchema>;
