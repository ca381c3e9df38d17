import { readFileSync } from "node:fs";
import type { ModuleHost } from "../compiler/modules.ts";

/** Imported files come from the file system, relative to the working directory like the paths on the command line. */
export const fileHost: ModuleHost = {
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};
