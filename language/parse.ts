import { tokenMatcher, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { Comment, Decl, Program } from "./ast.ts";
import { maxNestingDepth, mayBeTooDeep, tooDeep } from "./check-depth.ts";
import { checkPlacement, keywordsNotAllowedIn, type BodyKind } from "./check-placement.ts";
import { byPosition, type Diagnostic } from "./diagnostics/diagnostic.ts";
import { parseDeclarationFast } from "./fast-parser.ts";
import { lex } from "./lex.ts";
import { describeSyntaxError, type ErrorContext } from "./parser-messages.ts";
import { FlowParser, type BuildProblem } from "./parser.ts";
import { scan, tokenAt, tokensOf, type ScannedTokens } from "./scan.ts";
import type { SourceFile } from "./source-file.ts";
import { syntaxError } from "./syntax-error.ts";
import {
  allTokenTypes,
  Ckw,
  Colon,
  Dot,
  Equals,
  Greater,
  Identifier,
  Kw,
  MoneyLiteral,
  NumberLiteral,
  Question,
  QuoteClose,
  RBrace,
  RBracket,
  RParen,
  StringNewline,
  TripleQuoteClose,
} from "./tokens.ts";

export interface ParseResult {
  readonly program: Program;
  readonly comments: readonly Comment[];
  /** Every syntax error in the file, in source order. */
  readonly diagnostics: readonly Diagnostic[];
}

let parser: FlowParser | undefined;

/** One parser serves every file: building it is the costly part. */
export function sharedParser(): FlowParser {
  parser ??= new FlowParser({ validate: false });
  return parser;
}

/**
 * Source text to syntax tree. Never throws: whatever the input, the result
 * is a tree (possibly partial) and the diagnostics that explain the rest.
 *
 * The token stream is cut into one chunk per declaration before parsing,
 * at each declaration keyword. Those words are reserved, so they start a
 * declaration wherever they stand; cutting there means an unclosed brace
 * or a garbled statement costs one declaration, never the rest of the file.
 *
 * Most files have no syntax error, and a large one is parsed fast: scanned
 * into arrays (scan.ts), each declaration parsed by the fast parser
 * (fast-parser.ts), which builds the full parser's tree; a declaration it
 * gives up on is parsed by the full parser, with its diagnostics. A file
 * the scanner gives up on (one with a character that begins no token, say)
 * takes the lexer and the full parser throughout.
 */
export function parse(source: SourceFile): ParseResult {
  const text = source.text;
  const diagnostics: Diagnostic[] = [];
  const decls: Decl[] = [];
  /** `tokens`: how many the declaration has, when the fast path knows; most are too few to nest too deep. */
  const add = (decl: Decl | undefined, tokens?: number): void => {
    if (decl === undefined) return;
    const deep = tokens === undefined || mayBeTooDeep(tokens) ? tooDeep(decl) : undefined;
    if (deep !== undefined) {
      diagnostics.push(
        syntaxError(source, "FL0121", deep, {
          message: `this expression nests more than ${maxNestingDepth} levels deep`,
          label: "too deep",
          help: "split it into `let` steps",
        }),
      );
      return;
    }
    decls.push(decl);
  };

  let comments: readonly Comment[];
  // The fast path's declarations whose bodies hold no keyword their kind of body forbids: nothing in them to misplace.
  const placementFree = new Set<Decl>();
  const scanned = scan(text);
  if (scanned !== undefined) {
    comments = scanned.comments;
    const bounds = declarationBounds(scanned, text);
    for (let c = 0; c + 1 < bounds.length; c++) {
      const from = bounds[c]!;
      const to = bounds[c + 1]!;
      const fast = parseDeclarationFast(text, scanned, from, to);
      if (fast !== undefined) {
        add(fast, to - from);
        if (!holdsForbiddenKeyword(fast, scanned, from, to)) placementFree.add(fast);
      } else {
        const following = to < scanned.count ? tokenAt(scanned, text, to) : undefined;
        add(parseWithFullParser(source, tokensOf(scanned, text, from, to), following, diagnostics));
      }
    }
  } else {
    const lexed = lex(source);
    comments = lexed.comments;
    diagnostics.push(...lexed.diagnostics);
    const chunks = splitDeclarations(lexed.tokens, text);
    chunks.forEach((chunk, index) => add(parseWithFullParser(source, chunk, chunks[index + 1]?.[0], diagnostics)));
  }

  const program: Program = { kind: "Program", decls, span: { start: 0, end: text.length } };
  diagnostics.push(...checkPlacement(program, source, (decl) => !placementFree.has(decl)));
  diagnostics.sort(byPosition);
  return { program, comments, diagnostics };
}

/** One declaration's tokens through the full parser: its tree, if it has one, and its diagnostics, added to `diagnostics`. */
function parseWithFullParser(source: SourceFile, chunk: IToken[], following: IToken | undefined, diagnostics: Diagnostic[]): Decl | undefined {
  const flow = sharedParser();
  flow.source = source.text;
  flow.problems = [];
  flow.input = chunk;
  let decl: Decl | undefined;
  try {
    decl = flow.declaration();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // Only absurd nesting exhausts the stack; say so instead of crashing.
    const first = chunk[0]!;
    diagnostics.push(
      syntaxError(
        source,
        "FL0121",
        { start: first.startOffset, end: first.startOffset + first.image.length },
        {
          message: "this declaration nests too deeply to be parsed",
          label: "in this declaration",
          help: "split deeply nested expressions into `let` steps",
        },
      ),
    );
    return undefined;
  }
  const errors = flow.errors;
  if (errors.length > 0 || flow.problems.length > 0) {
    diagnostics.push(...declarationDiagnostics(errors, flow.problems, { source, tokens: chunk, following }));
  }
  if (decl === undefined || typeof decl !== "object" || !("kind" in decl)) return undefined;
  return decl;
}

/** The token's index in the chunk, by offset (tokens are sorted); -1 for end of input. */
function indexOfToken(tokens: readonly IToken[], token: IToken): number {
  if (Number.isNaN(token.startOffset)) return -1;
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = tokens[mid]!.startOffset;
    if (at === token.startOffset) return mid;
    if (at < token.startOffset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The diagnostics of one declaration, from what chevrotain's recognizer
 * reported and what the tree builder found. After one error the recognizer
 * may report more at the same token or the one right after it, or right
 * after a problem the builder found, and what recovery skipped can look like
 * stray tokens: the first error on a line says what is wrong, the rest are
 * echoes of it and are dropped.
 */
function declarationDiagnostics(
  errors: readonly IRecognitionException[],
  problems: readonly BuildProblem[],
  context: ErrorContext,
): Diagnostic[] {
  const { source, tokens } = context;
  const problemEnds = new Set(problems.map((p) => p.span.end));
  // Leftover tokens after a recovery error are what recovery could not
  // place; after an unrelated error (a bad unit, say) they are still news.
  const recovered = errors.some((e) => e.name !== "NotAllInputParsedException") || problems.some((p) => recoveryMarks.has(p.code));
  const echoes: Diagnostic[] = [];
  let lastErrorToken = -2;
  for (const error of errors) {
    if (error.name === "NotAllInputParsedException" && recovered) continue;
    const at = indexOfToken(tokens, error.token);
    const echo = (at >= 0 && at <= lastErrorToken + 1) || problemEnds.has(error.token.startOffset);
    lastErrorToken = Math.max(lastErrorToken, at);
    if (!echo) echoes.push(describeSyntaxError(error, context));
  }
  const independent: Diagnostic[] = [];
  for (const problem of problems)
    (echoing.has(problem.code) ? echoes : independent).push(syntaxError(source, problem.code, problem.span, problem));
  // Among errors recovery may echo, the first on a line says what is wrong;
  // at one position the recognizer's error is the cause and a stray token the echo.
  echoes.sort((a, b) => byPosition(a, b) || Number(a.code === "FL0115") - Number(b.code === "FL0115"));
  const lines = new Set<number>();
  const kept = echoes.filter((diagnostic) => {
    const line = source.position(diagnostic.primary.span.start).line;
    if (lines.has(line)) return false;
    lines.add(line);
    return true;
  });
  return [...kept, ...independent].sort(byPosition);
}

/** Problems the tree builder reports that come from recovery itself: stray tokens, skipped clauses. */
const echoing = new Set<string>(["FL0115", "FL0122"]);

/** Problems after which the parser was recovering: what it leaves over is no separate mistake. */
const recoveryMarks = new Set<string>([...echoing, "FL0102", "FL0123"]);

const declarationKeywords = new Set<TokenType>([Kw.import, Kw.type, Kw.node, Kw.agent, Kw.verifier, Kw.workflow, Kw.fn]);

/** Tokens a declaration can end with. */
const declarationEnds = new Set<TokenType>([
  RBrace,
  RBracket,
  RParen,
  Greater,
  Question,
  QuoteClose,
  TripleQuoteClose,
  StringNewline,
  NumberLiteral,
  MoneyLiteral,
]);

/**
 * Whether a declaration keyword starts a declaration here, rather than being
 * (wrongly) used as a name, which the parser then reports as FL0116: it
 * does when it begins its line or follows something a declaration can end
 * with, and never as a field (`x.type`, `{ type: … }`) or parameter name.
 */
function startsDeclaration(tokens: readonly IToken[], i: number, text: string): boolean {
  const token = tokens[i]!;
  const previous = tokens[i - 1];
  const next = tokens[i + 1];
  if (declarationKeywords.has(token.tokenType)) {
    if (next?.tokenType === Colon || previous?.tokenType === Dot) return false;
    if (previous === undefined) return true;
    const beginsLine = text.slice(previous.startOffset + previous.image.length, token.startOffset).includes("\n");
    const endsDeclaration =
      declarationEnds.has(previous.tokenType) ||
      previous.tokenType === Identifier ||
      previous.tokenType.CATEGORIES?.includes(Identifier) === true;
    return beginsLine || endsDeclaration;
  }
  // `models name = [...]` at the top level; `models name` is also a clause.
  return (
    token.tokenType === Ckw.models && next !== undefined && tokenMatcher(next, Identifier) && tokens[i + 2]?.tokenType === Equals
  );
}

export function splitDeclarations(tokens: readonly IToken[], text: string): IToken[][] {
  const chunks: IToken[][] = [];
  let current: IToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (i > 0 && current.length > 0 && startsDeclaration(tokens, i, text)) {
      chunks.push(current);
      current = [];
    }
    current.push(tokens[i]!);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * `splitDeclarations` on scanned tokens: where each declaration's tokens
 * begin, then where the last one ends (nothing for a file without tokens).
 * The same cuts, by `startsDeclaration`'s rules.
 */
export function declarationBounds(scanned: ScannedTokens, text: string): number[] {
  const { types, starts, ends } = scanned;
  const n = scanned.count;
  if (n === 0) return [];
  const bounds = [0];
  for (let i = 1; i < n; i++) {
    const type = types[i]!;
    const previous = types[i - 1]!;
    const next = i + 1 < n ? types[i + 1]! : -1;
    let cut: boolean;
    if (declarationKeywordIndices[type] === 1) {
      if (next === colonIndex || previous === dotIndex) cut = false;
      else {
        let beginsLine = false;
        for (let at = ends[i - 1]!, end = starts[i]!; at < end; at++) {
          if (text.charCodeAt(at) === 10) {
            beginsLine = true;
            break;
          }
        }
        cut = beginsLine || declarationEndIndices[previous] === 1 || nameIndices[previous] === 1;
      }
    } else cut = type === modelsIndex && next >= 0 && nameIndices[next] === 1 && i + 2 < n && types[i + 2] === equalsIndex;
    if (cut) bounds.push(i);
  }
  bounds.push(n);
  return bounds;
}

/** Whether tokens `from`…`to`, a declaration's, hold one of check-placement.ts's `keywordsNotAllowedIn` its body. */
function holdsForbiddenKeyword(decl: Decl, scanned: ScannedTokens, from: number, to: number): boolean {
  const body = decl.kind === "WorkflowDecl" ? "workflow" : decl.kind === "NodeDecl" ? "node" : decl.kind === "VerifierDecl" ? "verifier" : undefined;
  if (body === undefined) return false;
  const forbidden = forbiddenKeywordIndices[body];
  const types = scanned.types;
  for (let k = from; k < to; k++) if (forbidden[types[k]!] === 1) return true;
  return false;
}

/** A table by token type index (every token is looked up: a typed array is quicker than a set). */
function indexTable(types: Iterable<TokenType>): Uint8Array {
  const table = new Uint8Array(Math.max(...allTokenTypes.map((t) => t.tokenTypeIdx!)) + 1);
  for (const type of types) table[type.tokenTypeIdx!] = 1;
  return table;
}
const declarationKeywordIndices = indexTable(declarationKeywords);
const forbiddenKeywordIndices: Record<Exclude<BodyKind, "clause">, Uint8Array> = {
  workflow: keywordTable("workflow"),
  node: keywordTable("node"),
  verifier: keywordTable("verifier"),
};
function keywordTable(body: BodyKind): Uint8Array {
  return indexTable(keywordsNotAllowedIn(body).map((word) => Kw[word as keyof typeof Kw]));
}
const declarationEndIndices = indexTable(declarationEnds);
/** Identifier and the contextual keywords: what `Identifier` matches. */
const nameIndices = indexTable([Identifier, ...Object.values(Ckw)]);
const colonIndex = Colon.tokenTypeIdx!;
const dotIndex = Dot.tokenTypeIdx!;
const equalsIndex = Equals.tokenTypeIdx!;
const modelsIndex = Ckw.models.tokenTypeIdx!;
