import { languages } from "monaco-editor/editor";
import { contextualKeywords, reservedWords, typeNames } from "./flow-keywords.ts";

export const flowLanguageId = "flow";

/**
 * Monarch tokens for `.flow`, following the lexer's modes (language/tokens.ts):
 * code; `"…"` strings, which end at the line's end; `"""…"""` blocks; and
 * `${…}` interpolations inside either, which are code again until the `}`
 * that closes them (records inside nest with `@push`).
 */
const monarch: languages.IMonarchLanguage = {
  defaultToken: "",
  tokenPostfix: ".flow",
  reservedWords: [...reservedWords],
  contextualKeywords: [...contextualKeywords],
  typeNames: [...typeNames],
  brackets: [
    { open: "{", close: "}", token: "delimiter.curly" },
    { open: "[", close: "]", token: "delimiter.square" },
    { open: "(", close: ")", token: "delimiter.parenthesis" },
  ],
  tokenizer: {
    root: [{ include: "@code" }, [/[{}]/, "@brackets"]],
    code: [
      { include: "@whitespace" },
      [/"""/, { token: "string.quote", next: "@block" }],
      [/"/, { token: "string.quote", next: "@string" }],
      // Other languages' quotes: one token, as the lexer reads them, so the error is shown on the whole of it.
      [/'[^'\n]*'?|`[^`]*`?/, "string.invalid"],
      [/\$\d+(?:\.\d+)?(?:[A-Za-z_]\w*|%)?/, "number.money"],
      [/\d+(?:\.\d+)?(?:[A-Za-z_]\w*|%)/, "number.unit"],
      [/\d+(?:\.\d+)?/, "number"],
      [
        /[A-Za-z_]\w*/,
        { cases: { "@reservedWords": "keyword", "@contextualKeywords": "keyword.contextual", "@typeNames": "type", "[A-Z]\\w*": "type.identifier", "@default": "identifier" } },
      ],
      [/[()[\]]/, "@brackets"],
      [/->|=>|\?\?|\|\||&&|==|!=|<=|>=|[<>+\-*/?|=!]/, "operator"],
      [/[,:.]/, "delimiter"],
    ],
    whitespace: [
      [/[ \t\r\n]+/, ""],
      [/\/\*/, "comment", "@comment"],
      [/\/\/.*$/, "comment"],
    ],
    comment: [
      [/[^/*]+/, "comment"],
      [/\*\//, "comment", "@pop"],
      [/[/*]/, "comment"],
    ],
    string: [
      [/[^"\\$\n]+/, "string"],
      [/\\(?:u\{[^}"\n]*\}|.)/, "string.escape"],
      [/\$\{/, { token: "delimiter.interpolation", next: "@interpolation" }],
      [/\$/, "string"],
      [/"/, { token: "string.quote", next: "@pop" }],
      // A line break ends the string, with an error the compiler reports (FL0102).
      [/$/, { token: "string.invalid", next: "@pop" }],
    ],
    block: [
      [/"""/, { token: "string.quote", next: "@pop" }],
      [/[^"\\$]+/, "string"],
      [/\\(?:u\{[^}"\n]*\}|.)/, "string.escape"],
      [/\$\{/, { token: "delimiter.interpolation", next: "@interpolation" }],
      [/["$]/, "string"],
    ],
    interpolation: [
      [/\{/, { token: "delimiter.curly", next: "@push" }],
      [/\}/, { token: "delimiter.interpolation", next: "@pop" }],
      { include: "@code" },
    ],
  },
};

const configuration: languages.LanguageConfiguration = {
  comments: { lineComment: "//", blockComment: ["/*", "*/"] },
  brackets: [
    ["{", "}"],
    ["[", "]"],
    ["(", ")"],
  ],
  autoClosingPairs: [
    { open: "{", close: "}" },
    { open: "[", close: "]" },
    { open: "(", close: ")" },
    { open: '"', close: '"', notIn: ["string", "comment"] },
  ],
  surroundingPairs: [
    { open: "{", close: "}" },
    { open: "[", close: "]" },
    { open: "(", close: ")" },
    { open: '"', close: '"' },
  ],
  // Blocks are indented by the canonical layout, so indentation folds them; `// #region` folds a stretch by hand.
  folding: { offSide: false, markers: { start: /^\s*\/\/\s*#region\b/, end: /^\s*\/\/\s*#endregion\b/ } },
  wordPattern: /[A-Za-z_]\w*|\$?\d+(?:\.\d+)?(?:[A-Za-z_]\w*|%)?/,
  indentationRules: { increaseIndentPattern: /[{[(]\s*$/, decreaseIndentPattern: /^\s*[}\])]/ },
};

export function registerFlowLanguage(): void {
  languages.register({ id: flowLanguageId, extensions: [".flow"], aliases: ["flow"] });
  languages.setMonarchTokensProvider(flowLanguageId, monarch);
  languages.setLanguageConfiguration(flowLanguageId, configuration);
}
