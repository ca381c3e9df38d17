/**
 * The escapes a string may contain, in `"…"` and `"""…"""` alike:
 * `\n` `\r` `\t` `\\` `\"` `\$` (a literal dollar, so `\${` is not an
 * interpolation), `\0`, and `\u{1F600}` (1 to 6 hex digits).
 */
export type EscapeMeaning = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

const simple: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "\\": "\\",
  '"': '"',
  $: "$",
  "0": "\0",
};

export function cookEscape(raw: string): EscapeMeaning {
  if (raw.length < 2) return { ok: false, message: "a `\\` at the end of the file escapes nothing" };
  const c = raw[1]!;
  const known = simple[c];
  if (known !== undefined) return { ok: true, text: known };
  if (c === "u") {
    const hex = /^\\u\{([0-9A-Fa-f]{1,6})\}$/.exec(raw);
    const code = hex === null ? NaN : parseInt(hex[1]!, 16);
    if (Number.isNaN(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return { ok: false, message: "`\\u` takes a Unicode scalar value in braces, such as `\\u{1F600}`" };
    }
    return { ok: true, text: String.fromCodePoint(code) };
  }
  const shown = c === "\n" || c === "\r" ? "a line break" : `\`\\${c}\``;
  return { ok: false, message: `${shown} is not an escape` };
}
