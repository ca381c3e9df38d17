import { z } from "zod";
import { IrFile } from "./schema.ts";

/**
 * `ir.schema.json`: the JSON Schema (draft 2020-12) of what `flow compile`
 * writes, generated from the zod schemas, which stay the one definition.
 * `npm run ir:schema` writes it; a test fails when the committed file is
 * not what this gives.
 */
export function irJsonSchema(): string {
  const schema = z.toJSONSchema(IrFile, { target: "draft-2020-12" });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
