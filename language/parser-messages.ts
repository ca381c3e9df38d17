import { EOF, tokenMatcher, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { DiagnosticCode } from "./diagnostics/codes.ts";
import type { Diagnostic } from "./diagnostics/diagnostic.ts";
import type { SourceFile, Span } from "./source-file.ts";
import { syntaxError } from "./syntax-error.ts";
import { BinaryOperator, Identifier, ReservedWord } from "./tokens.ts";

/**
 * chevrotain reports recognition errors as exceptions carrying a message
 * string. The parser and the provider below encode what went wrong in that
 * string; `describeSyntaxError` decodes it into a diagnostic with a code,
 * plain words and labels. Keeping the wording here, apart from the grammar,
 * is what lets the grammar stay readable.
 */
const SEP = "\u0001";

type Encoded =
  | { readonly kind: "close"; readonly what: string; readonly closer: string }
  | { readonly kind: "expect"; readonly code: DiagnosticCode; readonly description: string }
  | { readonly kind: "mismatch"; readonly expected: string; readonly expectsName: boolean }
  | { readonly kind: "rest" }
  | { readonly kind: "other" };

/**
 * ERR_MSG for a closing delimiter, naming the construct it closes. It is a
 * constant per construct (chevrotain takes it on every call, error or not);
 * where the construct opened is found afterwards, from the tokens.
 */
export function closing(what: string, closer: TokenType): string {
  return [SEP + "close", what, closer.name].join(SEP);
}

const openerOf: Readonly<Record<string, { readonly open: readonly string[]; readonly close: string; readonly shown: string }>> = {
  RParen: { open: ["LParen"], close: "RParen", shown: "`)`" },
  RBracket: { open: ["LBracket"], close: "RBracket", shown: "`]`" },
  RBrace: { open: ["LBrace", "InterpolationStart"], close: "RBrace", shown: "`}`" },
  Greater: { open: ["Less"], close: "Greater", shown: "`>`" },
  QuoteClose: { open: ["Quote"], close: "QuoteClose", shown: '`"`' },
  TripleQuoteClose: { open: ["TripleQuote"], close: "TripleQuoteClose", shown: '`"""`' },
};

/** The unmatched opening delimiter before `index`, scanning back and skipping balanced pairs. */
function findOpener(tokens: readonly IToken[], index: number, closerName: string): IToken | undefined {
  const pair = openerOf[closerName];
  if (pair === undefined) return undefined;
  let depth = 0;
  for (let i = index - 1; i >= 0; i--) {
    const name = tokens[i]!.tokenType.name;
    if (name === pair.close) depth++;
    else if (pair.open.includes(name)) {
      if (depth === 0) return tokens[i];
      depth--;
    }
  }
  return undefined;
}

/** ERR_MSG for a place that expects one kind of thing, e.g. "an expression". */
export function expecting(code: DiagnosticCode, description: string): string {
  return [SEP + "expect", code, description].join(SEP);
}

export const parserMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected }) {
    return [SEP + "mismatch", expected.LABEL ?? expected.name, expected === Identifier ? "1" : "0"].join(SEP);
  },
  buildNotAllInputParsedMessage() {
    return SEP + "rest";
  },
  buildNoViableAltMessage({ customUserDescription }) {
    return customUserDescription ?? SEP + "other";
  },
  buildEarlyExitMessage({ customUserDescription }) {
    return customUserDescription ?? SEP + "other";
  },
};

function decode(message: string): Encoded {
  if (!message.startsWith(SEP)) return { kind: "other" };
  const [kind, a = "", b = ""] = message.slice(1).split(SEP);
  switch (kind) {
    case "close":
      return { kind, what: a, closer: b };
    case "expect":
      return { kind, code: a as DiagnosticCode, description: b };
    case "mismatch":
      return { kind, expected: a, expectsName: b === "1" };
    case "rest":
      return { kind };
    default:
      return { kind: "other" };
  }
}

export interface ErrorContext {
  readonly source: SourceFile;
  /** The tokens the parser was given, to find the token before the offending one. */
  readonly tokens: readonly IToken[];
  /** The token after this chunk of tokens (the next declaration), if any. */
  readonly following: IToken | undefined;
}

const helpFor: Partial<Record<DiagnosticCode, string>> = {
  FL0112: "an expression is a name, a literal (`3`, `\"text\"`, `30s`, `$2.50`), a call, a record `{ … }`, a list `[ … ]`, `for … { … }` or `wait signal …`",
  FL0113: "a type is a name (`string`, `int`, `float`, `bool`, `duration`, `json`, or a declared type), `List<T>`, `List<T, max N>`, a record type `{ name: T }`, `T?`, or a union of string literals",
  FL0114: "a file holds `import`, `type`, `models`, `node`, `agent`, `verifier` and `workflow` declarations",
  FL0115: "a statement is `let`, `return`, `if`, `for`, `checkpoint`, `fail`, `verify`, `approve`, `sleep`, or a call",
};

export function describeSyntaxError(error: IRecognitionException, context: ErrorContext): Diagnostic {
  const { source } = context;
  const found = culprit(error, context);
  const atEnd = found.tokenType === EOF || Number.isNaN(found.startOffset);
  const foundIndex = atEnd ? context.tokens.length : indexOf(found, context);
  const previous = previousToken(found, context);
  const next = context.tokens[foundIndex + 1];
  const previousEnd = previous === undefined ? 0 : previous.startOffset + previous.image.length;
  const foundSpan: Span = atEnd ? endOfChunk(context) : { start: found.startOffset, end: found.startOffset + found.image.length };
  const foundText = atEnd ? describeEnd(context) : describeToken(found);
  // Where something is missing at the end of a line, point at the end of
  // that line, not at whatever starts the next one.
  const onLaterLine = previous !== undefined && source.text.slice(previousEnd, foundSpan.start).includes("\n");
  const gap: Span = { start: previousEnd, end: previousEnd };
  const where = atEnd || onLaterLine ? gap : foundSpan;

  // A reserved word standing where a name would (`(in: int)`, `f(if: 1)`,
  // `import { if }`): whatever the parser expected, the word is the mistake.
  const reservedAsName =
    !atEnd &&
    found.tokenType.CATEGORIES?.includes(ReservedWord) === true &&
    previous !== undefined &&
    nameContexts.has(previous.image) &&
    (next === undefined || afterNames.has(next.image));
  if (reservedAsName) return reservedWordError(source, found, foundSpan);

  const encoded = decode(error.message);
  switch (encoded.kind) {
    case "close": {
      const isString = encoded.what === "string" || encoded.what === "block string";
      const closer = openerOf[encoded.closer]?.shown ?? "the closing delimiter";
      const opener = findOpener(context.tokens, foundIndex, encoded.closer);
      const openerSpan = opener === undefined ? undefined : { start: opener.startOffset, end: opener.startOffset + opener.image.length };
      const starts = pluralWhats.has(encoded.what) ? "start" : "starts";
      const secondary = openerSpan === undefined ? [] : [{ span: openerSpan, label: `the ${encoded.what} ${starts} here` }];
      if (isString) {
        return syntaxError(source, "FL0102", where, {
          message: `this ${encoded.what} is never closed`,
          label: `expected ${closer} here`,
          secondary,
          help: `end it with ${closer}`,
        });
      }
      // `f(a b)`, `{ a: 1 b: 2 }`: on the same line, another item where a
      // comma or the closer should be is most often a missing comma.
      const missingComma = where === foundSpan && !atEnd && previous !== undefined && endsItem(previous) && startsItem(found) && commaLists.has(encoded.what);
      if (missingComma) {
        return syntaxError(source, "FL0111", gap, {
          message: `expected \`,\` or ${closer} in the ${encoded.what}`,
          label: "a comma is missing here",
          secondary,
          help: `separate the items with commas, and close the ${encoded.what} with ${closer}`,
        });
      }
      return syntaxError(source, "FL0111", where, {
        message: `expected ${closer} to close the ${encoded.what}`,
        label: where === gap ? `expected ${closer} here` : `found ${foundText}`,
        secondary,
        help: `add ${closer}, or remove the opening one`,
      });
    }
    case "expect":
      return syntaxError(source, encoded.code, where, {
        message: `expected ${encoded.description}, found ${foundText}`,
        label: where === gap ? `expected ${encoded.description} here` : `expected ${encoded.description}`,
        ...(helpFor[encoded.code] === undefined ? {} : { help: helpFor[encoded.code] }),
      });
    case "mismatch": {
      if (encoded.expectsName && !atEnd && found.tokenType.CATEGORIES?.includes(ReservedWord)) return reservedWordError(source, found, foundSpan);
      return syntaxError(source, "FL0110", where, {
        message: `expected ${encoded.expected}, found ${foundText}`,
        label: where === gap ? `expected ${encoded.expected} here` : `expected ${encoded.expected}`,
      });
    }
    case "rest": {
      // A `}` just before: the declaration may have been closed one brace early.
      const early = previous?.image === "}" ? [{ span: { start: previous.startOffset, end: previous.startOffset + 1 }, label: "the declaration ends here: is this `}` one too many?" }] : [];
      return syntaxError(source, "FL0114", foundSpan, {
        message: `expected a declaration, found ${foundText}`,
        label: "not part of any declaration",
        secondary: early,
        help: helpFor.FL0114!,
      });
    }
    case "other":
      return syntaxError(source, "FL0110", where, {
        message: `unexpected ${foundText}`,
        label: "unexpected here",
      });
  }
}

function reservedWordError(source: SourceFile, found: IToken, span: Span): Diagnostic {
  return syntaxError(source, "FL0116", span, {
    message: `\`${found.image}\` is a reserved word and cannot be used as a name`,
    label: "reserved word",
    help: `choose another name, such as \`${found.image}_\``,
  });
}

/** Tokens after which a name comes, and tokens that follow a name, in lists and declarations. */
const nameContexts = new Set(["(", ",", "{", "[", "let", "for"]);
const afterNames = new Set([":", "=", ",", ")", "]", "}", "in", "as"]);

const pluralWhats = new Set(["parentheses", "type arguments", "lambda parameters"]);

/** Constructs whose items are separated by commas. */
const commaLists = new Set(["argument list", "parameter list", "record", "record type", "list", "import list", "model list", "effect set", "budget", "tool list", "list of failure kinds", "lambda parameters", "backoff"]);

function endsItem(token: IToken): boolean {
  return !["(", "[", "{", ",", ":", "=", "->", "=>", "${"].includes(token.image) && !token.tokenType.CATEGORIES?.includes(BinaryOperator);
}

function startsItem(token: IToken): boolean {
  const name = token.tokenType.name;
  return tokenMatcher(token, Identifier) || name === "NumberLiteral" || name === "MoneyLiteral" || name === "Quote" || name === "TripleQuote" || token.image === "[" || token.image === "{";
}

/** The index of the first token at or after `found` (tokens are sorted by offset). */
/**
 * The token the error is about. An expression's lookahead reads a `(` with
 * what follows it (a parenthesised expression, or a lambda's parameters)
 * and, when neither fits, gives up at the `(`: `return (` ⏎ `}` would say
 * "expected an expression, found `(`", though `(` begins one. What does
 * not fit is the token after it.
 */
function culprit(error: IRecognitionException, context: ErrorContext): IToken {
  const found = error.token;
  if (found.image !== "(" || Number.isNaN(found.startOffset)) return found;
  const encoded = decode(error.message);
  if (encoded.kind !== "expect" || encoded.code !== "FL0112") return found;
  return context.tokens[indexOf(found, context) + 1] ?? found;
}

function indexOf(found: IToken, context: ErrorContext): number {
  const tokens = context.tokens;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset < found.startOffset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function previousToken(found: IToken, context: ErrorContext): IToken | undefined {
  const tokens = context.tokens;
  if (found.tokenType === EOF || Number.isNaN(found.startOffset)) return tokens[tokens.length - 1];
  const at = indexOf(found, context);
  return at > 0 ? tokens[at - 1] : undefined;
}

function endOfChunk(context: ErrorContext): Span {
  const last = context.tokens[context.tokens.length - 1];
  const end = last === undefined ? 0 : last.startOffset + last.image.length;
  return { start: end, end };
}

function describeEnd(context: ErrorContext): string {
  return context.following === undefined ? "the end of the file" : `the next declaration (\`${context.following.image}\`)`;
}

export function describeToken(token: IToken): string {
  const image = token.image;
  switch (token.tokenType.name) {
    case "StringNewline":
      return "the end of the line";
    case "StringText":
    case "BlockText":
      return "text";
    default: {
      const shown = image.length > 24 ? `${image.slice(0, 24)}…` : image;
      return `\`${shown}\``;
    }
  }
}
