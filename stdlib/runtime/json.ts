import { canonicalJson } from "../../compiler/ir/hash.ts";
import type { Json } from "../../interpreter/ledger/entry.ts";
import * as arg from "./arguments.ts";
import { pure } from "./define.ts";
import { type Implementation, StdFailure } from "./implementation.ts";
import { jsonSyntaxError, showJsonSyntaxError } from "./json-syntax-error.ts";

/** std/json (stdlib/json.flow). */
export const jsonImplementations: Readonly<Record<string, Implementation>> = {
  // Text that is not JSON is what a model or a tool got wrong, hence `InvalidOutput` (a `retry … on [InvalidOutput]` can ask again).
  parse: pure((args) => {
    const text = arg.string(args, "text");
    try {
      return JSON.parse(text) as Json;
    } catch {
      const error = jsonSyntaxError(text);
      throw new StdFailure("InvalidOutput", `the text is not JSON${error === undefined ? "" : `: ${showJsonSyntaxError(error)}`}`);
    }
  }),
  stringify: pure((args) => canonicalJson(arg.json(args, "value"))),
};
