import { z } from "zod";

/** `proc`, `net("registry.npmjs.org")`: an effect, whole (`scope` null) or limited to a glob of paths or a host. */
export const Effect = z
  .strictObject({
    name: z.enum(["fs.read", "fs.write", "proc", "net", "llm", "clock"]),
    scope: z.string().nullable(),
  })
  .meta({ id: "Effect" });

export type Effect = z.infer<typeof Effect>;
