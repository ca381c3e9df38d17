import { z } from "zod";

/**
 * Where an IR element came from: a half-open range of UTF-16 offsets into
 * one source file, as in the syntax tree. `file` is a path relative to the
 * entry file's directory (`hello.flow`, `shared/releases.flow`) or a std
 * module (`std/sandbox`), never an absolute path: the IR of a program does
 * not depend on where it was compiled.
 */
export const Span = z
  .strictObject({
    file: z.string(),
    start: z.int().nonnegative(),
    end: z.int().nonnegative(),
  })
  .meta({ id: "Span" });

export type Span = z.infer<typeof Span>;
