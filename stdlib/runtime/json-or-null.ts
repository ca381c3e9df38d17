import type { Json } from "../../interpreter/ledger/entry.ts";

/**
 * The `json` a step's value derives from text it recorded (`sh(…).json`,
 * `http.get(…).json`): the text parsed as JSON, or null when it is not
 * JSON. Surrounding whitespace is allowed, so a command's trailing newline
 * does not matter.
 */
export function jsonOrNull(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return null;
  }
}
