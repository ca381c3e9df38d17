import { createToken, Lexer, type IToken, type TokenType } from "chevrotain";

/**
 * The tokens of `.flow`, in the three lexer modes a file moves between:
 * code, the inside of a `"…"` string, and the inside of a `"""…"""` block.
 * `${` pushes code mode and the matching `}` pops it; `{` in code pushes
 * code too, so records inside interpolations nest correctly.
 *
 * Within a mode the first pattern that matches wins, so longer operators
 * come before their prefixes and keywords before identifiers (with
 * `longer_alt` so `letter` stays one identifier).
 */

// ── categories ──
/** Anything that can name a record field: identifiers and every keyword. */
export const AnyName = createToken({ name: "AnyName", pattern: Lexer.NA, label: "a name" });
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [AnyName],
  label: "a name",
});
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA, label: "an operator" });
/** `!` and `-` before an operand. */
export const PrefixOperator = createToken({ name: "PrefixOperator", pattern: Lexer.NA, label: "`!` or `-`" });
/** Reserved words: never names, wherever they stand. */
export const ReservedWord = createToken({ name: "ReservedWord", pattern: Lexer.NA, categories: [AnyName] });

/**
 * Keywords are not patterns of the lexer: every word lexes as an
 * Identifier and `retagKeywords` then looks it up once in a map. Trying
 * forty keyword patterns before the identifier pattern on every word was
 * most of the lexer's time.
 */
function reserved(word: string): TokenType {
  return createToken({ name: `Kw_${word}`, pattern: Lexer.NA, categories: [ReservedWord], label: `\`${word}\`` });
}

/**
 * Contextual keywords: words with a meaning in one position (`budget`
 * after a signature, `max` in `List<T, max N>`) that stay ordinary names
 * everywhere else, so `let timeout = 5m` and `max(xs)` are fine.
 */
function contextual(word: string): TokenType {
  return createToken({ name: `Ckw_${word}`, pattern: Lexer.NA, categories: [Identifier], label: `\`${word}\`` });
}

// ── trivia ──
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\uFEFF]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: "comments" });
/** `/*` with no `*\/` before the end of the file: reported as FL0106. */
export const UnterminatedBlockComment = createToken({
  name: "UnterminatedBlockComment",
  pattern: /\/\*[\s\S]*/,
  group: "comments",
});

// ── strings ──
export const TripleQuote = createToken({ name: "TripleQuote", pattern: /"""/, push_mode: "block", label: '`"""`' });
export const Quote = createToken({ name: "Quote", pattern: /"/, push_mode: "string", label: '`"`' });
/**
 * `'text'` or `` `text` ``, as other languages write strings: one token, so
 * that the parser can say "strings go in double quotes" once, instead of
 * every word between the quotes being read as code.
 */
export const ForeignString = createToken({
  name: "ForeignString",
  pattern: /'[^'\r\n]*'?|`[^`]*`?/,
  line_breaks: true,
  label: "a string",
});
export const InterpolationStart = createToken({
  name: "InterpolationStart",
  pattern: /\$\{/,
  push_mode: "code",
  label: "`${`",
});
export const Escape = createToken({ name: "Escape", pattern: /\\(?:u\{[^}"\r\n]*\}|[\s\S])?/, label: "an escape" });
export const StringText = createToken({ name: "StringText", pattern: /[^"\\$\r\n]+/, label: "text" });
export const BlockText = createToken({ name: "BlockText", pattern: /(?:[^"\\$]|"(?!""))+/, line_breaks: true, label: "text" });
export const Dollar = createToken({ name: "Dollar", pattern: /\$/, label: "`$`" });
export const QuoteClose = createToken({ name: "QuoteClose", pattern: /"/, pop_mode: true, label: '`"`' });
export const TripleQuoteClose = createToken({ name: "TripleQuoteClose", pattern: /"""/, pop_mode: true, label: '`"""`' });
/** A line break inside `"…"` ends the string with an error (FL0102). */
export const StringNewline = createToken({
  name: "StringNewline",
  pattern: /\r?\n/,
  pop_mode: true,
  line_breaks: true,
  label: "the end of the line",
});

// ── punctuation and operators ──
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, push_mode: "code", label: "`{`" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, pop_mode: true, label: "`}`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const Arrow = createToken({ name: "Arrow", pattern: /->/, label: "`->`" });
export const FatArrow = createToken({ name: "FatArrow", pattern: /=>/, label: "`=>`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "`:`" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "`.`" });

function operator(name: string, pattern: RegExp, text: string): TokenType {
  return createToken({ name, pattern, categories: [BinaryOperator], label: `\`${text}\`` });
}
export const QuestionQuestion = operator("QuestionQuestion", /\?\?/, "??");
export const OrOr = operator("OrOr", /\|\|/, "||");
export const AndAnd = operator("AndAnd", /&&/, "&&");
export const EqualEqual = operator("EqualEqual", /==/, "==");
export const BangEqual = operator("BangEqual", /!=/, "!=");
export const LessEqual = operator("LessEqual", /<=/, "<=");
export const GreaterEqual = operator("GreaterEqual", />=/, ">=");
/** `<` and `>` are comparisons in expressions and brackets in `List<…>`. */
export const Less = operator("Less", /</, "<");
export const Greater = operator("Greater", />/, ">");
export const Plus = operator("Plus", /\+/, "+");
export const Minus = createToken({ name: "Minus", pattern: /-/, categories: [BinaryOperator, PrefixOperator], label: "`-`" });
export const Star = operator("Star", /\*/, "*");
export const Slash = operator("Slash", /\//, "/");
export const Question = createToken({ name: "Question", pattern: /\?/, label: "`?`" });
export const Pipe = createToken({ name: "Pipe", pattern: /\|/, label: "`|`" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "`=`" });
export const Bang = createToken({ name: "Bang", pattern: /!/, categories: [PrefixOperator], label: "`!`" });

// ── literals ──
/**
 * A number with whatever letters follow it: `3`, `0.8`, `200k`, `30s`,
 * `5%`, but also `2hours`. The unit is checked when the literal is built,
 * so a wrong unit gets a message that lists the right ones (FL0104).
 */
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /\d+(?:\.\d+)?(?:[A-Za-z_][A-Za-z0-9_]*|%)?/,
  label: "a number",
});
export const MoneyLiteral = createToken({
  name: "MoneyLiteral",
  pattern: /\$\d+(?:\.\d+)?(?:[A-Za-z_][A-Za-z0-9_]*|%)?/,
  label: "an amount of money",
});

// ── keywords ──
export const Kw = {
  import: reserved("import"),
  type: reserved("type"),
  node: reserved("node"),
  agent: reserved("agent"),
  verifier: reserved("verifier"),
  workflow: reserved("workflow"),
  fn: reserved("fn"),
  let: reserved("let"),
  if: reserved("if"),
  else: reserved("else"),
  for: reserved("for"),
  in: reserved("in"),
  return: reserved("return"),
  true: reserved("true"),
  false: reserved("false"),
  null: reserved("null"),
  as: reserved("as"),
  verify: reserved("verify"),
  approve: reserved("approve"),
  sleep: reserved("sleep"),
  wait: reserved("wait"),
  checkpoint: reserved("checkpoint"),
  fail: reserved("fail"),
} as const;

export const Ckw = {
  from: contextual("from"),
  models: contextual("models"),
  effects: contextual("effects"),
  grants: contextual("grants"),
  budget: contextual("budget"),
  retry: contextual("retry"),
  backoff: contextual("backoff"),
  cap: contextual("cap"),
  on: contextual("on"),
  timeout: contextual("timeout"),
  gate: contextual("gate"),
  sandbox: contextual("sandbox"),
  tools: contextual("tools"),
  prompt: contextual("prompt"),
  concurrency: contextual("concurrency"),
  tolerate: contextual("tolerate"),
  limit: contextual("limit"),
  show: contextual("show"),
  by: contextual("by"),
  default: contextual("default"),
  signal: contextual("signal"),
  max: contextual("max"),
  cost: contextual("cost"),
} as const;

export const reservedWords: readonly string[] = Object.keys(Kw);

const keywordTokens = [...Object.values(Kw), ...Object.values(Ckw)];

const keywordByWord = new Map<string, TokenType>([...Object.entries(Kw), ...Object.entries(Ckw)]);

/** Gives each word that is a keyword its keyword's token type, in place. */
export function retagKeywords(tokens: IToken[]): void {
  for (const token of tokens) {
    if (token.tokenType !== Identifier) continue;
    const keyword = keywordByWord.get(token.image);
    if (keyword !== undefined) {
      token.tokenType = keyword;
      token.tokenTypeIdx = keyword.tokenTypeIdx!;
    }
  }
}

const codeMode: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  TripleQuote,
  Quote,
  ForeignString,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Arrow,
  FatArrow,
  QuestionQuestion,
  OrOr,
  AndAnd,
  EqualEqual,
  BangEqual,
  LessEqual,
  GreaterEqual,
  Less,
  Greater,
  Plus,
  Minus,
  Star,
  Slash,
  Question,
  Pipe,
  Equals,
  Bang,
  Comma,
  Colon,
  Dot,
  MoneyLiteral,
  NumberLiteral,
  Identifier,
];

export const lexerDefinition = {
  modes: {
    code: codeMode,
    string: [InterpolationStart, Escape, StringText, Dollar, QuoteClose, StringNewline],
    block: [InterpolationStart, Escape, BlockText, Dollar, TripleQuoteClose],
  },
  defaultMode: "code",
};

/**
 * Any token but `}`: what a block skips, reporting it, when it cannot
 * start a statement (FL0115). The category is added to every token type
 * here, once; chevrotain computes category membership when the parser is
 * built.
 */
export const StrayToken = createToken({ name: "StrayToken", pattern: Lexer.NA, label: "a statement" });

/** Every token type the parser may see, categories included. */
export const allTokenTypes: TokenType[] = [
  StrayToken,
  AnyName,
  BinaryOperator,
  PrefixOperator,
  ReservedWord,
  ...keywordTokens,
  ...codeMode,
  InterpolationStart,
  Escape,
  StringText,
  BlockText,
  Dollar,
  QuoteClose,
  TripleQuoteClose,
  StringNewline,
];

for (const type of allTokenTypes) {
  if (type === RBrace || (type.PATTERN === Lexer.NA && !Object.values(Kw).includes(type) && !Object.values(Ckw).includes(type)))
    continue;
  type.CATEGORIES = [...(type.CATEGORIES ?? []), StrayToken];
}
