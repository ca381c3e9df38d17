// Writes ir.schema.json, the JSON Schema of the IR, from its zod schemas
// (compiler/ir/). Run it with `npm run ir:schema` after changing them.
import { writeFileSync } from "node:fs";
import { irJsonSchema } from "../compiler/ir/ir-json-schema.ts";

writeFileSync(new URL("../ir.schema.json", import.meta.url), irJsonSchema());
console.log("wrote ir.schema.json");
