import { editor } from "./monaco.ts";

export const flowThemeId = "flow-light";

/**
 * Colours for the Monarch tokens of flow-language.ts: reserved words apart
 * from the contextual keywords (clauses such as `budget`, `retry`), units on
 * numbers like numbers, and interpolation's `${ }` set off from the string.
 */
export function defineFlowTheme(): void {
  editor.defineTheme(flowThemeId, {
    base: "vs",
    inherit: true,
    rules: [
      { token: "keyword", foreground: "8250df", fontStyle: "bold" },
      { token: "keyword.contextual", foreground: "0550ae" },
      { token: "type", foreground: "0a7d6e" },
      { token: "type.identifier", foreground: "0a7d6e" },
      { token: "number", foreground: "116329" },
      { token: "number.unit", foreground: "116329" },
      { token: "number.money", foreground: "116329" },
      { token: "string", foreground: "a0361b" },
      { token: "string.quote", foreground: "a0361b" },
      { token: "string.escape", foreground: "cf222e" },
      { token: "string.invalid", foreground: "cf222e", fontStyle: "underline" },
      { token: "delimiter.interpolation", foreground: "bc4c00", fontStyle: "bold" },
      { token: "comment", foreground: "6e7781", fontStyle: "italic" },
      { token: "operator", foreground: "57606a" },
    ],
    colors: {},
  });
}
