import http from "./http.flow?raw";
import json from "./json.flow?raw";
import list from "./list.flow?raw";
import sandbox from "./sandbox.flow?raw";
import text from "./text.flow?raw";
import time from "./time.flow?raw";
import verify from "./verify.flow?raw";

/**
 * The standard library's declarations, by import path. The sources are
 * bundled into the program (the command line and the playground alike), so
 * a check never depends on where it runs. `version` is part of every std
 * operation's identity in the IR: changing what a declaration means takes
 * a new version, never an edit in place.
 */
export interface StdModule {
  readonly path: string;
  readonly version: number;
  readonly source: string;
}

export const stdModules: ReadonlyMap<string, StdModule> = new Map(
  (
    [
      ["std/sandbox", 1, sandbox],
      ["std/list", 1, list],
      ["std/text", 1, text],
      ["std/json", 1, json],
      ["std/time", 1, time],
      ["std/http", 1, http],
      ["std/verify", 1, verify],
    ] as const
  ).map(([path, version, source]) => [path, { path, version, source }]),
);
