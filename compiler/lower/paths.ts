import { dirname, relative } from "node:path/posix";
import type { ModuleGraph } from "../modules.ts";

/**
 * File names as the IR writes them: relative to the entry file's
 * directory, so the IR of a program is the same whatever directory it was
 * compiled from (`flow compile examples/hello.flow` and, in `examples/`,
 * `flow compile hello.flow`) and never holds a path of the machine. Std
 * modules keep their import path (`std/sandbox`).
 */
export function irPaths(graph: ModuleGraph): (path: string) => string {
  const base = dirname(graph.entry.path);
  const std = new Set([...graph.modules.values()].filter((m) => m.std !== undefined).map((m) => m.path));
  const cache = new Map<string, string>();
  return (path) => {
    let shown = cache.get(path);
    if (shown === undefined) {
      // Relative and absolute paths alike: `relative` resolves both against one directory, which cancels out.
      shown = std.has(path) ? path : relative(base, path) || path;
      cache.set(path, shown);
    }
    return shown;
  };
}
