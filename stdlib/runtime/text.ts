import * as arg from "./arguments.ts";
import { pure } from "./define.ts";
import type { Implementation } from "./implementation.ts";
import { splitLines } from "./split-lines.ts";

/**
 * std/text (stdlib/text.flow). Case mapping is Unicode's default, never a
 * locale's (`toLowerCase`, not `toLocaleLowerCase`), and nothing splits a
 * character in two: an empty separator or `old` works on code points.
 */
export const textImplementations: Readonly<Record<string, Implementation>> = {
  contains: pure((args) => arg.string(args, "text").includes(arg.string(args, "part"))),
  starts_with: pure((args) => arg.string(args, "text").startsWith(arg.string(args, "prefix"))),
  ends_with: pure((args) => arg.string(args, "text").endsWith(arg.string(args, "suffix"))),
  // Whitespace is ECMAScript's: Unicode White_Space and the line terminators.
  trim: pure((args) => arg.string(args, "text").trim()),
  join: pure((args) => arg.strings(args, "parts").join(arg.string(args, "separator"))),
  // `split("abc", "")` is `["a", "b", "c"]`; `split("", ",")` is `[""]`.
  split: pure((args) => {
    const text = arg.string(args, "text");
    const separator = arg.string(args, "separator");
    return separator === "" ? Array.from(text) : text.split(separator);
  }),
  lines: pure((args) => splitLines(arg.string(args, "text"))),
  // Every occurrence, left to right, without overlaps; an empty `old` occurs before each code point and at the end.
  replace: pure((args) => {
    const text = arg.string(args, "text");
    const old = arg.string(args, "old");
    const replacement = arg.string(args, "new");
    return old === "" ? replacement + Array.from(text).join(replacement) + (text === "" ? "" : replacement) : text.split(old).join(replacement);
  }),
  lower: pure((args) => arg.string(args, "text").toLowerCase()),
  upper: pure((args) => arg.string(args, "text").toUpperCase()),
  length: pure((args) => [...arg.string(args, "text")].length),
};
