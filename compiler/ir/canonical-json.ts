/**
 * JSON in the one canonical form of RFC 8785 (JCS): object keys sorted by
 * UTF-16 code units, no whitespace, numbers as ECMAScript prints them,
 * strings escaped as JSON.stringify escapes them. The same value gives the
 * same bytes on every machine, which is what content hashes and the
 * ledger's byte-for-byte replay need.
 *
 * Written here rather than taken from the `canonicalize` package because
 * it is on the ledger's hot path (every entry is sealed with it): this is
 * about twice as fast, and a property test holds it to `canonicalize`,
 * byte for byte, on arbitrary JSON (test/canonical-json.test.ts).
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return jsonString(value);
    case "number":
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} is not a JSON number`);
      // String() and JSON.stringify print finite numbers alike, -0 as 0 included.
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let text = "[";
        for (let i = 0; i < value.length; i++) text += (i === 0 ? "" : ",") + canonicalJson(value[i] === undefined ? null : value[i]);
        return `${text}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      // Array.prototype.sort compares strings by UTF-16 code units, which is JCS's order, as `<` does. Most records
      // are built with their keys in that order already (the ledger's are), and sorting allocates: it is skipped then.
      if (keys.length > 1 && !inOrder(keys)) keys.sort();
      let text = "{";
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined || typeof member === "function" || typeof member === "symbol") continue;
        text += `${first ? "" : ","}${jsonString(key)}:${canonicalJson(member)}`;
        first = false;
      }
      return `${text}}`;
    }
    default:
      throw new Error(`canonicalJson: a ${typeof value} is not JSON`);
  }
}

/** Whether keys are in JCS order already: each before the next by UTF-16 code units (keys are never equal). */
function inOrder(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/** Quotes, backslashes, control characters and lone surrogates need escapes; most strings have none. */
const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON. A lone surrogate is not Unicode text, and RFC 8785 refuses it rather than guess. */
export function jsonString(text: string): string {
  if (!needsEscape.test(text)) return `"${text}"`;
  if (!text.isWellFormed()) throw new Error("canonicalJson: a string with a lone surrogate is not Unicode text");
  return JSON.stringify(text);
}
