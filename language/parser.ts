import {
  createTokenInstance,
  EOF,
  EmbeddedActionsParser,
  type IOrAlt,
  type OrMethodOpts,
  type ParserMethod,
  tokenMatcher,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import type * as A from "./ast.ts";
import { binaryPrecedence, associativity } from "./operators.ts";
import { numericMeaning, unitForWord, unitHelp } from "./quantities.ts";
import { buildBlockString, buildPlainString, type RawPiece } from "./string-literal.ts";
import type { Span } from "./source-file.ts";
import { parserMessages, closing, expecting } from "./parser-messages.ts";
import * as T from "./tokens.ts";
import { closestName } from "./closest-name.ts";
import { FirstTokenLookahead } from "./lookahead.ts";

/** A problem found while building the tree (not by chevrotain's recognizer). */
export interface BuildProblem {
  readonly code:
    | "FL0102"
    | "FL0103"
    | "FL0104"
    | "FL0105"
    | "FL0107"
    | "FL0110"
    | "FL0111"
    | "FL0113"
    | "FL0115"
    | "FL0117"
    | "FL0119"
    | "FL0122"
    | "FL0123";
  readonly span: Span;
  readonly message: string;
  readonly label: string;
  readonly help?: string;
  readonly secondary?: readonly {
    readonly span: Span;
    readonly label: string;
  }[];
}

/** Where recovery gave up: the offending token, or the end for an error at the end of the input. */
function errorAt(e: IRecognitionException, fallback: number): Span {
  const token = e.token;
  const previous = (e as { previousToken?: IToken }).previousToken;
  let at = token.startOffset;
  if (Number.isNaN(at) && previous !== undefined && !Number.isNaN(previous.startOffset))
    at = previous.startOffset + previous.image.length;
  if (Number.isNaN(at)) at = fallback;
  return { start: at, end: at };
}

/** The span from the start of one part to the end of another, whatever recovery left in between. */
function cover(from: Span, to: Span): Span {
  return { start: from.start, end: Math.max(from.start, to.end) };
}

const errorExpr = (e: IRecognitionException, fallback: number): A.ErrorExpr => ({
  kind: "ErrorExpr",
  span: errorAt(e, fallback),
});
const errorType = (e: IRecognitionException, fallback: number): A.ErrorType => ({
  kind: "ErrorType",
  span: errorAt(e, fallback),
});
const zeroNumber = (e: IRecognitionException, fallback: number): A.NumberLit => ({
  kind: "NumberLit",
  raw: "0",
  value: 0,
  integer: true,
  span: errorAt(e, fallback),
});
const emptyList = (e: IRecognitionException, fallback: number): A.ListExpr => ({
  kind: "ListExpr",
  items: [],
  span: errorAt(e, fallback),
});
const emptyString = (e: IRecognitionException, fallback: number): A.StringLit => ({
  kind: "StringLit",
  block: false,
  parts: [],
  span: errorAt(e, fallback),
});
const emptyBlock = (e: IRecognitionException, fallback: number): A.Block => ({
  kind: "Block",
  stmts: [],
  span: errorAt(e, fallback),
});
const nothing = (_e: IRecognitionException): never[] => [];

/** Messages for places that expect one kind of thing; built once, since chevrotain takes them on every call. */
const expected = {
  failureMessage: expecting("FL0110", "`(` and the failure's message"),
  parameterList: expecting("FL0110", "`(` and the parameter list"),
  resultType: expecting("FL0110", "`->` and the result type"),
  signalType: expecting("FL0110", "`->` and the type of the signal's data"),
  parameterType: expecting("FL0110", "`:` and the parameter's type"),
  letValue: expecting("FL0110", "`=` and the value"),
  listBound: expecting("FL0110", "`max` and the list's bound, as in `List<T, max 100>`"),
  quotedString: expecting("FL0110", "a string in double quotes"),
  verifyMessage: expecting("FL0110", '`else "message"` saying what failed'),
  signalKeyword: expecting("FL0110", '`signal` (as in `wait signal "name" -> Type`)'),
  expression: expecting("FL0112", "an expression"),
  type: expecting("FL0113", "a type"),
  declaration: expecting("FL0114", "a declaration"),
  amount: expecting("FL0110", "a number or an amount such as `2M`, `$5.00` or `30m`"),
  attempts: expecting("FL0110", "a number of attempts such as `3`"),
  statement: expecting("FL0115", "a statement"),
} as const;

/** Messages for closing delimiters, one per construct; built once. */
const closes = {
  importList: closing("import list", T.RBrace),
  modelList: closing("model list", T.RBracket),
  parameterList: closing("parameter list", T.RParen),
  effectSet: closing("effect set", T.RBrace),
  effectScope: closing("effect scope", T.RParen),
  budget: closing("budget", T.RBrace),
  cost: closing("cost model", T.RBrace),
  typeParameters: closing("type parameter list", T.Greater),
  functionType: closing("function type's parameters", T.RParen),
  listOfFailureKinds: closing("list of failure kinds", T.RBracket),
  backoff: closing("backoff", T.RParen),
  toolList: closing("tool list", T.RBracket),
  block: closing("block", T.RBrace),
  failureMessage: closing("failure message", T.RParen),
  lambdaParameters: closing("lambda parameters", T.RParen),
  argumentList: closing("argument list", T.RParen),
  parentheses: closing("parentheses", T.RParen),
  record: closing("record", T.RBrace),
  list: closing("list", T.RBracket),
  blockString: closing("block string", T.TripleQuoteClose),
  interpolation: closing("interpolation", T.RBrace),
  typeArguments: closing("type arguments", T.Greater),
  recordType: closing("record type", T.RBrace),
  string: closing("string", T.QuoteClose),
  index: closing("index", T.RBracket),
} as const;

const clauseKeywords = new Set<TokenType>([
  T.Ckw.effects,
  T.Ckw.grants,
  T.Ckw.budget,
  T.Ckw.retry,
  T.Ckw.timeout,
  T.Ckw.gate,
  T.Ckw.sandbox,
  T.Ckw.models,
  T.Ckw.tools,
  T.Ckw.prompt,
  T.Ckw.cost,
]);
/** The tokens that close a comma-separated list. */
const listClosers = new Set<TokenType>([T.RParen, T.RBracket, T.RBrace, T.Greater]);

/** What other languages write for `else if`. */
const elifWords = new Set(["elif", "elsif", "elseif"]);

const clauseWords = [...clauseKeywords].map((t) => t.name.replace(/^Ckw_/, ""));

type CallableKind = "NodeDecl" | "AgentDecl" | "VerifierDecl" | "WorkflowDecl";

/**
 * The grammar of `.flow` (see grammar.md, which mirrors these rules), as a
 * chevrotain parser that builds the syntax tree directly, with no CST in
 * between. Code that reads tokens or builds nodes runs only in ACTION or
 * after a RECORDING_PHASE check: chevrotain first runs every rule once with
 * placeholder tokens to record the grammar.
 */
export class FlowParser extends EmbeddedActionsParser {
  problems: BuildProblem[] = [];

  // Alternatives that capture nothing but `this` are built once and reused:
  // chevrotain otherwise allocates them, closures and all, on every call.
  private expressionChoice?: OrMethodOpts<A.Expr>;
  private binaryTailAlternatives?: IOrAlt<[IToken, A.Expr] | A.TypeExpr>[];
  private suffixAlternatives?: IOrAlt<IToken | A.Arg[] | undefined>[];
  private primaryChoice?: OrMethodOpts<A.Expr>;
  private numericChoice?: OrMethodOpts<IToken>;
  private stringCloseChoice?: OrMethodOpts<IToken>;
  private stringPieceAlternatives?: IOrAlt<RawPiece | undefined>[];
  private statementChoice?: OrMethodOpts<A.Stmt>;
  private stringChoice?: OrMethodOpts<A.StringLit>;
  private blockItemAlternatives?: IOrAlt<A.Stmt | undefined>[];
  private lastStray: IToken | undefined;

  constructor(options: { readonly validate: boolean }) {
    super(T.allTokenTypes, {
      recoveryEnabled: true,
      maxLookahead: 2,
      lookaheadStrategy: new FirstTokenLookahead({ maxLookahead: 2 }),
      skipValidations: !options.validate,
      errorMessageProvider: parserMessages,
    });
    this.performSelfAnalysis();
  }

  // ───────────────────────────── helpers ─────────────────────────────

  private start(): number {
    return this.RECORDING_PHASE ? 0 : this.LA(1).startOffset;
  }

  /** A span from `start` to the end of the last token consumed. */
  private span(start: number): Span {
    const last = this.LA(0);
    const end = last === undefined || Number.isNaN(last.startOffset) ? start : last.startOffset + last.image.length;
    return { start, end: Math.max(start, end) };
  }

  private tokenSpan(token: IToken): Span {
    return { start: token.startOffset, end: token.startOffset + token.image.length };
  }

  /** Where the last consumed token ends (0 before the first). */
  private lastEnd(): number {
    const last = this.LA(0);
    return last === undefined || Number.isNaN(last.startOffset) ? 0 : last.startOffset + last.image.length;
  }

  /**
   * A token that single-token-insertion recovery makes up (the name missing
   * from `node (x: int)`) stands, empty, where it was missing: at the next
   * real token, or after the last one at the end of the input.
   */
  override getTokenToInsert(tokType: TokenType): IToken {
    const next = this.LA(1);
    const at = Number.isNaN(next.startOffset) ? this.lastEnd() : next.startOffset;
    return createTokenInstance(tokType, "", at, at - 1, NaN, NaN, NaN, NaN);
  }

  private ident(token: IToken): A.Ident {
    return { kind: "Ident", name: token.image, span: this.tokenSpan(token) };
  }

  private closeWith(type: TokenType, message: string): IToken {
    return this.CONSUME(type, { ERR_MSG: message });
  }

  /**
   * `item, item, …` with an optional trailing comma, each item added to
   * `into`: the shape of every delimited list. It uses DSL occurrence
   * indices 7 to 9, which no rule uses for anything else, so any rule may
   * call it once.
   */
  private commaSeparated<N>(rule: ParserMethod<[], N>, into: N[]): void {
    this.OPTION9(() => {
      let errorsBefore = this.RECORDING_PHASE ? 0 : this.errorCount();
      this.add(into, this.SUBRULE8(rule));
      // An item where a comma should be, on the same line (`{ a: 1 b: 2 }`),
      // is a missing comma: reported, and the list goes on. Letting recovery
      // insert the closer instead would leave the list's own closer to end
      // the enclosing block, and lose every error after it. After an item
      // that had an error of its own, what follows is its echo, not news.
      // Most lists end here: their closer is next, and the loop need not be tried.
      if (this.RECORDING_PHASE || !listClosers.has(this.LA(1).tokenType))
        this.MANY9({
          GATE: () => this.nextIs(1, T.Comma) || (this.sameLine() && this.errorCount() === errorsBefore),
          DEF: () => {
            const comma = this.OPTION7(() => this.CONSUME9(T.Comma));
            if (comma === undefined && !this.RECORDING_PHASE) this.reportMissingComma();
            if (!this.RECORDING_PHASE) errorsBefore = this.errorCount();
            this.add(into, this.SUBRULE9(rule));
          },
        });
      if (this.mayEnter(T.Comma)) this.OPTION8(() => this.CONSUME8(T.Comma));
    });
  }

  /**
   * Errors so far in this declaration, the recognizer's and ours. chevrotain
   * exposes its list only as a copy (`errors`), so the count is read from its
   * internal array: stable in chevrotain 11, and guarded by the golden tests.
   */
  private errorCount(): number {
    return (this as unknown as { _errors: readonly unknown[] })._errors.length + this.problems.length;
  }

  private reportMissingComma(): void {
    const at = this.lastEnd();
    this.report({
      code: "FL0111",
      span: { start: at, end: at },
      message: "expected `,` between two items",
      label: "a comma is missing here",
      help: "separate the items of a list, record or call with commas",
    });
  }

  /** Adds a sub-rule's result unless recovery left nothing to add. */
  private add<N>(list: N[], item: N | undefined): void {
    if (item !== undefined && item !== null) list.push(item);
  }

  private report(problem: BuildProblem): void {
    this.problems.push(problem);
  }

  private nextIs(offset: number, type: TokenType): boolean {
    return tokenMatcher(this.LA(offset), type);
  }

  /**
   * Whether an OPTION or MANY may be entered: always in the recording phase
   * (the grammar must be recorded), else only if the token at `offset`,
   * which every way into it has, is there. Most optional parts are absent;
   * asking first spares the closures chevrotain takes on each call, and its
   * own lookahead still decides when they may be present. Only for a MANY
   * that ends its rule or precedes a sub-rule or another optional part, not
   * a token: only then would a loop not entered attempt no recovery anyway.
   */
  private mayEnter(type: TokenType, offset = 1): boolean {
    return this.RECORDING_PHASE || this.nextIs(offset, type);
  }

  /** `x =>`, `() =>`, `(a, b) =>`: decided by scanning, since `(a)` may also be a parenthesised name. */
  private lambdaAhead(): boolean {
    if (this.nextIs(1, T.Identifier)) return this.nextIs(2, T.FatArrow);
    if (!this.nextIs(1, T.LParen)) return false;
    let i = 2;
    if (this.nextIs(i, T.RParen)) return this.nextIs(i + 1, T.FatArrow);
    for (;;) {
      if (!this.nextIs(i, T.Identifier)) return false;
      i++;
      if (this.nextIs(i, T.Comma)) {
        i++;
        if (this.nextIs(i, T.RParen)) return this.nextIs(i + 1, T.FatArrow);
        continue;
      }
      return this.nextIs(i, T.RParen) && this.nextIs(i + 1, T.FatArrow);
    }
  }

  /** A call's `(` must stand on the line where its callee ends; on a new line it starts a new statement. */
  private sameLine(): boolean {
    const previous = this.LA(0);
    const next = this.LA(1);
    if (previous === undefined || Number.isNaN(previous.startOffset)) return true;
    return !this.source.slice(previous.startOffset + previous.image.length, next.startOffset).includes("\n");
  }

  /** The text being parsed; set with the tokens before each chunk. */
  source = "";

  /**
   * Where the body of the declaration being parsed opens: the `{` matching
   * its final `}` (-1 if it has none). Needed only to skip an unknown
   * clause, so found only then.
   */
  private declaringAgent = false;
  /** Whether the declaration being parsed has a clause name that is not one (FL0122). */
  private misspeltClause = false;

  private bodyOpening(): number {
    if (this.declaringAgent) return -1;
    const tokens = this.input;
    // During a parse chevrotain pads the tokens with end-of-input sentinels.
    let last = tokens.length - 1;
    while (last >= 0 && tokens[last]!.tokenType === EOF) last--;
    if (tokens[last]?.tokenType !== T.RBrace) return -1;
    let depth = 0;
    for (let i = last; i >= 0; i--) {
      const type = tokens[i]!.tokenType;
      if (type === T.RBrace) depth++;
      else if (type === T.LBrace || type === T.InterpolationStart) depth--;
      if (depth === 0) return tokens[i]!.startOffset;
    }
    return -1;
  }

  // ─────────────────────────── declarations ───────────────────────────

  declaration = this.RULE("declaration", (): A.Decl | undefined => {
    return this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.typeDecl) },
        { ALT: () => this.SUBRULE(this.modelsDecl) },
        { ALT: () => this.SUBRULE(this.callableDecl) },
        { ALT: () => this.SUBRULE(this.fnDecl) },
      ],
      ERR_MSG: expected.declaration,
    });
  });

  private importDecl = this.RULE("importDecl", (): A.ImportDecl => {
    const start = this.start();
    this.CONSUME(T.Kw.import);
    this.CONSUME(T.LBrace);
    const names: A.ImportName[] = [];
    this.commaSeparated(this.importName, names);
    this.closeWith(T.RBrace, closes.importList);
    this.CONSUME(T.Ckw.from);
    const from = this.SUBRULE(this.plainString);
    return { kind: "ImportDecl", names, from, span: this.span(start) };
  });

  private importName = this.RULE("importName", (): A.ImportName => {
    const start = this.start();
    const name = this.CONSUME(T.Identifier);
    let alias: IToken | null = null;
    this.OPTION(() => {
      this.CONSUME(T.Kw.as);
      alias = this.CONSUME2(T.Identifier);
    });
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "ImportName",
      name: this.ident(name),
      alias: alias === null ? null : this.ident(alias),
      span: this.span(start),
    };
  });

  private typeDecl = this.RULE("typeDecl", (): A.TypeDecl => {
    const start = this.start();
    this.CONSUME(T.Kw.type);
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    const type = this.SUBRULE(this.typeExpr);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "TypeDecl",
      name: this.ident(name),
      type,
      span: this.span(start),
    };
  });

  private modelsDecl = this.RULE("modelsDecl", (): A.ModelsDecl => {
    const start = this.start();
    this.CONSUME(T.Ckw.models);
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.CONSUME(T.LBracket);
    const models: A.StringLit[] = [];
    this.commaSeparated(this.plainString, models);
    this.closeWith(T.RBracket, closes.modelList);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "ModelsDecl",
      name: this.ident(name),
      models,
      span: this.span(start),
    };
  });

  private callableDecl = this.RULE("callableDecl", (): A.CallableDecl => {
    const start = this.start();
    const kind = this.OR([
      { ALT: () => (this.CONSUME(T.Kw.node), "NodeDecl" as CallableKind) },
      { ALT: () => (this.CONSUME(T.Kw.agent), "AgentDecl" as CallableKind) },
      {
        ALT: () => (this.CONSUME(T.Kw.verifier), "VerifierDecl" as CallableKind),
      },
      {
        ALT: () => (this.CONSUME(T.Kw.workflow), "WorkflowDecl" as CallableKind),
      },
    ]);
    const name = this.CONSUME(T.Identifier);
    this.ACTION(() => {
      this.declaringAgent = kind === "AgentDecl";
      this.misspeltClause = false;
    });
    const params = this.SUBRULE(this.paramList);
    this.CONSUME(T.Arrow, {
      ERR_MSG: expected.resultType,
    });
    const returnType = this.SUBRULE(this.typeExpr);
    const clauses: A.Clause[] = [];
    this.MANY(() => {
      // One token decides: `effects [` must reach the effects rule and be
      // told about the bracket, not be taken for an unknown clause.
      const clause = this.OR2({
        MAX_LOOKAHEAD: 1,
        DEF: [
          { ALT: (): A.Clause | undefined => this.SUBRULE(this.clause) },
          { ALT: (): A.Clause | undefined => this.SUBRULE(this.unknownClause), IGNORE_AMBIGUITIES: true },
        ],
      });
      this.add(clauses, clause);
    });
    let body: A.Block | null = null;
    // Agents have no body; the others need one. Which is which is checked
    // after parsing, so a missing or extra body gets a precise message.
    this.OPTION(() => (body = this.SUBRULE(this.block)));
    return this.ACTION(() => {
      const common = {
        name: this.ident(name),
        params,
        returnType,
        clauses,
        span: this.span(start),
      };
      if (kind === "AgentDecl") {
        if (body !== null) {
          this.report({
            code: "FL0123",
            span: { start: (body as A.Block).span.start, end: (body as A.Block).span.start + 1 },
            message: "an agent has no body",
            label: "this body is not allowed",
            help: "an agent is a model loop: its `prompt` clause says what to do, and `tools [...]` what it may call",
          });
        } else if (!clauses.some((c) => c.kind === "PromptClause") && !this.misspeltClause) {
          this.report({
            code: "FL0123",
            span: common.name.span,
            message: `the agent \`${common.name.name}\` has no \`prompt\``,
            label: "this agent needs a prompt",
            help: 'add a clause such as `prompt """ … """` saying what the model is to do with the inputs',
          });
        }
        return { kind, ...common };
      }
      const decl = {
        kind,
        ...common,
        body: body ?? this.missingBody(kind, start),
      };
      return decl;
    })!;
  });

  /** `fn git.diff() -> string effects { fs.read, proc } cost { compute: 1m }`: std only, no body. */
  private fnDecl = this.RULE("fnDecl", (): A.FnDecl => {
    const start = this.start();
    this.CONSUME(T.Kw.fn);
    let namespace: IToken | null = null;
    let name = this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Dot);
      namespace = name;
      name = this.CONSUME2(T.Identifier);
    });
    const typeParams: A.TypeParam[] = [];
    this.OPTION2(() => {
      this.CONSUME(T.Less);
      this.commaSeparated(this.typeParam, typeParams);
      this.closeWith(T.Greater, closes.typeParameters);
    });
    const params = this.SUBRULE(this.paramList);
    this.CONSUME(T.Arrow, { ERR_MSG: expected.resultType });
    const returnType = this.SUBRULE(this.typeExpr);
    const clauses: A.Clause[] = [];
    this.MANY(() => this.add(clauses, this.SUBRULE(this.clause)));
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "FnDecl",
      namespace: namespace === null ? null : this.ident(namespace),
      name: this.ident(name),
      typeParams,
      params,
      returnType,
      clauses,
      span: this.span(start),
    };
  });

  private typeParam = this.RULE("typeParam", (): A.TypeParam => {
    const start = this.start();
    const name = this.CONSUME(T.Identifier);
    let constraint: IToken | null = null;
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      constraint = this.CONSUME2(T.Identifier);
    });
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "TypeParam",
      name: this.ident(name),
      constraint: constraint === null ? null : this.ident(constraint),
      span: this.span(start),
    };
  });

  private missingBody(kind: CallableKind, start: number): A.Block {
    const end = this.span(start).end;
    const what = kind === "NodeDecl" ? "a node" : kind === "VerifierDecl" ? "a verifier" : "a workflow";
    this.report({
      code: "FL0123",
      span: { start: end, end },
      message: `${what} needs a body in \`{ … }\``,
      label: "expected `{` here",
      help: "write the steps between braces after the signature and clauses",
      secondary: [{ span: { start, end: start }, label: "the declaration starts here" }],
    });
    return { kind: "Block", stmts: [], span: { start: end, end } };
  }

  private paramList = this.RULE(
    "paramList",
    (): A.Param[] => {
      const params: A.Param[] = [];
      this.CONSUME(T.LParen, {
        ERR_MSG: expected.parameterList,
      });
      this.commaSeparated(this.param, params);
      this.closeWith(T.RParen, closes.parameterList);
      return params;
    },
    { recoveryValueFunc: (e) => nothing(e) },
  );

  private param = this.RULE("param", (): A.Param => {
    const start = this.start();
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon, {
      ERR_MSG: expected.parameterType,
    });
    const type = this.SUBRULE(this.typeExpr);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "Param",
      name: this.ident(name),
      type,
      span: this.span(start),
    };
  });

  // ───────────────────────────── clauses ─────────────────────────────

  /**
   * A word where a clause should be (`effect { proc }`): reported with the
   * nearest clause's name, then skipped, with whatever follows it, up to the
   * body or the next real clause, so one typo costs one error.
   */
  private unknownClause = this.RULE("unknownClause", (): undefined => {
    const word = this.CONSUME(T.Identifier);
    this.ACTION(() => {
      const close = closestName(word.image, clauseWords);
      this.report({
        code: "FL0122",
        span: this.tokenSpan(word),
        message: `\`${word.image}\` is not a clause`,
        label: close === undefined ? "not a clause" : `did you mean \`${close}\`?`,
        help: "clauses are `effects`, `budget`, `retry`, `timeout`, `gate` and `sandbox`; agents also take `models`, `tools` and `prompt`, and workflows `grants`",
      });
      this.misspeltClause = true;
      // Skip the clause's value up to the body, the next clause, or a word
      // starting the next line (most likely another clause, misspelt too).
      const body = this.bodyOpening();
      while (this.LA(1).tokenType !== EOF && this.LA(1).startOffset !== body && !clauseKeywords.has(this.LA(1).tokenType)) {
        this.SKIP_TOKEN();
        if (this.nextIs(1, T.Identifier) && !this.sameLine()) break;
      }
    });
    return undefined;
  });

  private clause = this.RULE("clause", (): A.Clause => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.effectsClause) },
      { ALT: () => this.SUBRULE(this.budgetClause) },
      { ALT: () => this.SUBRULE(this.retryClause) },
      { ALT: () => this.SUBRULE(this.timeoutClause) },
      { ALT: () => this.SUBRULE(this.gateClause) },
      { ALT: () => this.SUBRULE(this.modelsClause) },
      { ALT: () => this.SUBRULE(this.toolsClause) },
      { ALT: () => this.SUBRULE(this.promptClause) },
      { ALT: () => this.SUBRULE(this.costClause) },
    ]);
  });

  private costClause = this.RULE("costClause", (): A.CostClause => {
    const start = this.start();
    this.CONSUME(T.Ckw.cost);
    this.CONSUME(T.LBrace);
    const entries: A.CostEntry[] = [];
    this.commaSeparated(this.costEntry, entries);
    this.closeWith(T.RBrace, closes.cost);
    return { kind: "CostClause", entries, span: this.span(start) };
  });

  private costEntry = this.RULE("costEntry", (): A.CostEntry => {
    const start = this.start();
    const key = this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    const value = this.OR([
      { ALT: (): A.NumberLit | A.QuantityLit | IToken => this.SUBRULE(this.numeric) },
      { ALT: (): A.NumberLit | A.QuantityLit | IToken => this.CONSUME2(T.Identifier) },
    ]);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "CostEntry",
      key: this.ident(key),
      value: "kind" in value ? value : this.ident(value),
      span: this.span(start),
    };
  });

  private effectsClause = this.RULE("effectsClause", (): A.EffectsClause | A.GrantsClause => {
    const start = this.start();
    const kind = this.OR([
      { ALT: () => (this.CONSUME(T.Ckw.effects), "EffectsClause" as const) },
      { ALT: () => (this.CONSUME(T.Ckw.grants), "GrantsClause" as const) },
    ]);
    this.CONSUME(T.LBrace);
    const effects: A.EffectRef[] = [];
    this.commaSeparated(this.effectRef, effects);
    this.closeWith(T.RBrace, closes.effectSet);
    return { kind, effects, span: this.span(start) };
  });

  private effectRef = this.RULE("effectRef", (): A.EffectRef => {
    const start = this.start();
    const path: IToken[] = [this.CONSUME(T.Identifier)];
    this.MANY(() => {
      this.CONSUME(T.Dot);
      path.push(this.CONSUME(T.AnyName));
    });
    let scope: A.StringLit | null = null;
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      scope = this.SUBRULE(this.plainString);
      this.closeWith(T.RParen, closes.effectScope);
    });
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "EffectRef",
      path: path.map((t) => this.ident(t)),
      scope,
      span: this.span(start),
    };
  });

  private budgetClause = this.RULE("budgetClause", (): A.BudgetClause => {
    const start = this.start();
    this.CONSUME(T.Ckw.budget);
    this.CONSUME(T.LBrace);
    const entries: A.BudgetEntry[] = [];
    this.commaSeparated(this.budgetEntry, entries);
    this.closeWith(T.RBrace, closes.budget);
    return { kind: "BudgetClause", entries, span: this.span(start) };
  });

  private budgetEntry = this.RULE("budgetEntry", (): A.BudgetEntry => {
    const start = this.start();
    const key = this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    const value = this.SUBRULE(this.numeric);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "BudgetEntry",
      key: this.ident(key),
      value,
      span: this.span(start),
    };
  });

  private retryClause = this.RULE("retryClause", (): A.RetryClause => {
    const start = this.start();
    this.CONSUME(T.Ckw.retry);
    const attempts = this.SUBRULE(this.attemptCount);
    let backoff: A.Backoff | null = null;
    let on: A.Ident[] | null = null;
    this.OPTION(() => (backoff = this.SUBRULE(this.backoff)));
    this.OPTION2(() => {
      this.CONSUME(T.Ckw.on);
      this.CONSUME(T.LBracket);
      const kinds: IToken[] = [];
      this.OPTION3(() => {
        kinds.push(this.CONSUME(T.Identifier));
        this.MANY(() => {
          this.CONSUME(T.Comma);
          kinds.push(this.CONSUME2(T.Identifier));
        });
        this.OPTION4(() => this.CONSUME2(T.Comma));
      });
      this.closeWith(T.RBracket, closes.listOfFailureKinds);
      this.ACTION(() => (on = kinds.map((t) => this.ident(t))));
    });
    return this.ACTION(() => {
      if (attempts.kind !== "NumberLit" || !attempts.integer) {
        this.report({
          code: "FL0110",
          span: attempts.span,
          message: "`retry` takes a whole number of attempts",
          label: "expected a count such as `3`",
          help: "write `retry 3 backoff exp(30s, cap 10m) on [Timeout, Transient]`",
        });
      }
      const count: A.NumberLit =
        attempts.kind === "NumberLit"
          ? attempts
          : {
              kind: "NumberLit",
              raw: "0",
              value: 0,
              integer: true,
              span: attempts.span,
            };
      return {
        kind: "RetryClause",
        attempts: count,
        backoff,
        on,
        span: this.span(start),
      };
    })!;
  });

  private attemptCount = this.RULE("attemptCount", (): A.NumberLit => {
    const token = this.CONSUME(T.NumberLiteral, { ERR_MSG: expected.attempts });
    return this.ACTION(() => {
      // A count that recovery made up (image "") is already reported as missing.
      const meaning = numericMeaning(token.image === "" ? "0" : token.image);
      const value = meaning.kind === "number" ? meaning.value : 0;
      return {
        kind: "NumberLit" as const,
        raw: token.image || "0",
        value,
        integer: meaning.kind === "number" && meaning.integer,
        span: this.tokenSpan(token),
      };
    })!;
  });

  private backoff = this.RULE("backoff", (): A.Backoff => {
    const start = this.start();
    this.CONSUME(T.Ckw.backoff);
    const strategy = this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    const base = this.SUBRULE(this.expression);
    let cap: A.Expr | null = null;
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.CONSUME(T.Ckw.cap);
      cap = this.SUBRULE2(this.expression);
    });
    this.closeWith(T.RParen, closes.backoff);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "Backoff",
      strategy: this.ident(strategy),
      base,
      cap,
      span: this.span(start),
    };
  });

  private timeoutClause = this.RULE("timeoutClause", (): A.TimeoutClause => {
    const start = this.start();
    this.CONSUME(T.Ckw.timeout);
    const duration = this.SUBRULE(this.expression);
    return { kind: "TimeoutClause", duration, span: this.span(start) };
  });

  private gateClause = this.RULE("gateClause", (): A.GateClause | A.SandboxClause => {
    const start = this.start();
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Ckw.gate);
          const name = this.SUBRULE(this.plainString);
          return {
            kind: "GateClause" as const,
            name,
            span: this.span(start),
          };
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Ckw.sandbox);
          const profile = this.SUBRULE2(this.plainString);
          return {
            kind: "SandboxClause" as const,
            profile,
            span: this.span(start),
          };
        },
      },
    ]);
  });

  private modelsClause = this.RULE("modelsClause", (): A.ModelsClause => {
    const start = this.start();
    this.CONSUME(T.Ckw.models);
    const route = this.OR([
      { ALT: () => this.identFrom(this.CONSUME(T.Identifier)) },
      { ALT: () => this.SUBRULE(this.listExpr) },
    ]);
    return { kind: "ModelsClause", route, span: this.span(start) };
  });

  private identFrom(token: IToken): A.Ident {
    return this.RECORDING_PHASE ? (undefined as never) : this.ident(token);
  }

  private toolsClause = this.RULE("toolsClause", (): A.ToolsClause => {
    const start = this.start();
    this.CONSUME(T.Ckw.tools);
    this.CONSUME(T.LBracket);
    const tools: A.QualifiedName[] = [];
    this.commaSeparated(this.qualifiedName, tools);
    this.closeWith(T.RBracket, closes.toolList);
    return { kind: "ToolsClause", tools, span: this.span(start) };
  });

  private qualifiedName = this.RULE("qualifiedName", (): A.QualifiedName => {
    const start = this.start();
    const parts: IToken[] = [this.CONSUME(T.Identifier)];
    this.MANY(() => {
      this.CONSUME(T.Dot);
      parts.push(this.CONSUME(T.AnyName));
    });
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "QualifiedName",
      parts: parts.map((t) => this.ident(t)),
      span: this.span(start),
    };
  });

  private promptClause = this.RULE("promptClause", (): A.PromptClause => {
    const start = this.start();
    this.CONSUME(T.Ckw.prompt);
    const text = this.SUBRULE(this.stringLiteral);
    return { kind: "PromptClause", text, span: this.span(start) };
  });

  // ──────────────────────────── statements ────────────────────────────

  block = this.RULE(
    "block",
    (): A.Block => {
      const start = this.start();
      this.CONSUME(T.LBrace);
      const stmts: A.Stmt[] = [];
      this.MANY(() => {
        // One token decides: a statement whose second token is wrong must still
        // enter its rule (to say what is wrong there), not be skipped as stray.
        const stmt = this.OR({
          MAX_LOOKAHEAD: 1,
          DEF: (this.blockItemAlternatives ??= [
            { ALT: (): A.Stmt | undefined => this.SUBRULE(this.statement) },
            {
              ALT: (): A.Stmt | undefined => this.stray(this.LA(0), this.CONSUME(T.StrayToken)),
              IGNORE_AMBIGUITIES: true,
            },
          ]),
        });
        if (stmt !== undefined) stmts.push(stmt);
      });
      this.closeWith(T.RBrace, closes.block);
      return { kind: "Block", stmts, span: this.span(start) };
    },
    { recoveryValueFunc: (e) => emptyBlock(e, this.lastEnd()) },
  );

  /**
   * A token that cannot start a statement, where a statement or `}` should
   * be: the first of a run is reported (FL0115), the rest skipped with it.
   */
  private stray(previous: IToken, token: IToken): undefined {
    if (this.RECORDING_PHASE || previous === this.lastStray) {
      this.lastStray = token;
      return undefined;
    }
    this.lastStray = token;
    const hint =
      token.image === "else"
        ? "`else` follows the `}` that closes an `if`"
        : token.image === ")" || token.image === "]"
          ? `nothing here is open for this \`${token.image}\` to close: remove it, or look for a missing opening one before it`
          : "a statement is `let`, `return`, `if`, `for`, `checkpoint`, `fail`, `verify`, `approve`, `sleep`, or a call";
    this.report({
      code: "FL0115",
      span: this.tokenSpan(token),
      message: `expected a statement or \`}\`, found \`${token.image}\``,
      label: "cannot start a statement",
      help: hint,
    });
    return undefined;
  }

  private statement = this.RULE("statement", (): A.Stmt => {
    return this.OR(
      (this.statementChoice ??= {
        DEF: [
          { ALT: () => this.SUBRULE(this.letStmt) },
          { ALT: () => this.SUBRULE(this.returnStmt) },
          { ALT: () => this.SUBRULE(this.ifStmt) },
          { ALT: () => this.SUBRULE(this.checkpointStmt) },
          { ALT: () => this.SUBRULE(this.failStmt) },
          { ALT: () => this.SUBRULE(this.verifyStmt) },
          { ALT: () => this.SUBRULE(this.approveStmt) },
          { ALT: () => this.SUBRULE(this.sleepStmt) },
          { ALT: () => this.SUBRULE(this.exprStmt) },
        ],
        ERR_MSG: expected.statement,
      }),
    );
  });

  private letStmt = this.RULE("letStmt", (): A.LetStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.let);
    const name = this.CONSUME(T.Identifier);
    let type: A.TypeExpr | null = null;
    if (this.mayEnter(T.Colon))
      this.OPTION(() => {
        this.CONSUME(T.Colon);
        type = this.SUBRULE(this.typeExpr);
      });
    this.CONSUME(T.Equals, {
      ERR_MSG: expected.letValue,
    });
    const value = this.SUBRULE(this.expression);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "LetStmt",
      name: this.ident(name),
      type,
      value,
      span: this.span(start),
    };
  });

  private returnStmt = this.RULE("returnStmt", (): A.ReturnStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.return);
    const value = this.SUBRULE(this.expression);
    return { kind: "ReturnStmt", value, span: this.span(start) };
  });

  private ifStmt = this.RULE("ifStmt", (): A.IfStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.if);
    return this.SUBRULE(this.ifTail, { ARGS: [start] });
  });

  /** What follows `if`, or a mistaken `elif`: the condition, the branch, and an optional `else`. */
  private ifTail = this.RULE("ifTail", (start: number): A.IfStmt => {
    const cond = this.SUBRULE(this.expression);
    const then = this.SUBRULE(this.branch);
    let otherwise: A.Block | A.IfStmt | null = null;
    this.OPTION(() => {
      this.CONSUME(T.Kw.else);
      // `else if` first; a braceless `else` branch may itself start with `if`.
      otherwise = this.OR([
        { ALT: () => this.SUBRULE(this.ifStmt) },
        { ALT: () => this.SUBRULE2(this.branch), IGNORE_AMBIGUITIES: true },
      ]);
    });
    // `elif` and its cousins: say how flow writes it, and read it that way.
    this.OPTION2({
      GATE: () => otherwise === null && elifWords.has(this.LA(1).image),
      DEF: () => {
        const word = this.CONSUME(T.Identifier);
        if (!this.RECORDING_PHASE) {
          this.report({
            code: "FL0110",
            span: this.tokenSpan(word),
            message: `flow writes \`else if\`, not \`${word.image}\``,
            label: "write `else if`",
          });
        }
        otherwise = this.SUBRULE2(this.ifTail, { ARGS: [word.startOffset] });
      },
    });
    if (this.RECORDING_PHASE) return undefined as never;
    return { kind: "IfStmt", cond, then, else: otherwise, span: this.span(start) };
  });

  /**
   * The branch of an `if` or `else`: a block. One statement without braces
   * is reported and taken as the branch, so that the braces after it still
   * pair up and no `}` seems missing at the end of the file.
   */
  private branch = this.RULE(
    "branch",
    (): A.Block => {
      return this.OR([
        { ALT: () => this.SUBRULE(this.block) },
        {
          ALT: () => {
            const start = this.start();
            const stmt = this.SUBRULE(this.statement);
            if (this.RECORDING_PHASE) return undefined as never;
            this.report({
              code: "FL0110",
              span: { start, end: start },
              message: "the branches of `if` and `else` stand in braces",
              label: "expected `{` here",
              help: "write `if condition { … } else { … }`",
            });
            return { kind: "Block" as const, stmts: stmt === undefined ? [] : [stmt], span: this.span(start) };
          },
          IGNORE_AMBIGUITIES: true,
        },
      ]);
    },
    { recoveryValueFunc: (e) => emptyBlock(e, this.lastEnd()) },
  );

  private checkpointStmt = this.RULE("checkpointStmt", (): A.CheckpointStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.checkpoint);
    const label = this.SUBRULE(this.plainString);
    return { kind: "CheckpointStmt", label, span: this.span(start) };
  });

  private failStmt = this.RULE("failStmt", (): A.FailStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.fail);
    const kind = this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen, {
      ERR_MSG: expected.failureMessage,
    });
    const message = this.SUBRULE(this.expression);
    this.closeWith(T.RParen, closes.failureMessage);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "FailStmt",
      errorKind: this.ident(kind),
      message,
      span: this.span(start),
    };
  });

  private verifyStmt = this.RULE("verifyStmt", (): A.VerifyStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.verify);
    const check = this.SUBRULE(this.expression);
    this.CONSUME(T.Kw.else, {
      ERR_MSG: expected.verifyMessage,
    });
    const message = this.SUBRULE2(this.expression);
    return { kind: "VerifyStmt", check, message, span: this.span(start) };
  });

  /** `approve "name"` then `show`, `by`, `timeout` and `default`, each at most once, in any order. */
  private approveStmt = this.RULE("approveStmt", (): A.ApproveStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.approve);
    const name = this.SUBRULE(this.plainString);
    const parts: { word: IToken; value: A.Expr | A.StringLit | IToken }[] = [];
    this.MANY(() => {
      const part = this.OR([
        {
          ALT: () => ({ word: this.CONSUME(T.Ckw.show), value: this.SUBRULE(this.expression) as A.Expr | A.StringLit | IToken }),
        },
        { ALT: () => ({ word: this.CONSUME(T.Ckw.by), value: this.SUBRULE2(this.plainString) }) },
        { ALT: () => ({ word: this.CONSUME(T.Ckw.timeout), value: this.SUBRULE2(this.expression) }) },
        {
          ALT: () => ({
            word: this.CONSUME(T.Ckw.default),
            value: this.OR2([{ ALT: () => this.CONSUME2(T.Kw.approve) }, { ALT: () => this.CONSUME2(T.Identifier) }]),
          }),
        },
      ]);
      parts.push(part);
    });
    return this.ACTION(() => {
      const given = new Map<string, { word: IToken; value: A.Expr | A.StringLit | IToken }>();
      for (const part of parts) {
        const earlier = given.get(part.word.image);
        if (earlier !== undefined) {
          this.report({
            code: "FL0119",
            span: this.tokenSpan(part.word),
            message: `\`${part.word.image}\` is given twice in this \`approve\``,
            label: "the second one",
            secondary: [{ span: this.tokenSpan(earlier.word), label: "first given here" }],
            help: "keep one",
          });
          continue;
        }
        given.set(part.word.image, part);
      }
      const choice = given.get("default");
      let fallback: A.ApproveStmt["default"] = null;
      if (choice !== undefined) {
        const token = choice.value as IToken;
        if (token.image !== "approve" && token.image !== "reject") {
          this.report({
            code: "FL0110",
            span: this.tokenSpan(token),
            message: `a gate's default is \`approve\` or \`reject\`, not \`${token.image}\``,
            label: "expected `approve` or `reject`",
          });
        }
        if (!given.has("timeout")) {
          this.report({
            code: "FL0123",
            span: this.tokenSpan(choice.word),
            message: "a gate's `default` applies when it times out, but it has no `timeout`",
            label: "default without a timeout",
            help: "add `timeout 7d` (or however long the gate may wait), or remove the `default`",
          });
        }
        fallback = { value: token.image === "approve" ? "approve" : "reject", span: this.tokenSpan(token) };
      }
      return {
        kind: "ApproveStmt" as const,
        name,
        show: (given.get("show")?.value as A.Expr | undefined) ?? null,
        by: (given.get("by")?.value as A.StringLit | undefined) ?? null,
        timeout: (given.get("timeout")?.value as A.Expr | undefined) ?? null,
        default: fallback,
        span: this.span(start),
      };
    })!;
  });

  private sleepStmt = this.RULE("sleepStmt", (): A.SleepStmt => {
    const start = this.start();
    this.CONSUME(T.Kw.sleep);
    const duration = this.SUBRULE(this.expression);
    return { kind: "SleepStmt", duration, span: this.span(start) };
  });

  private exprStmt = this.RULE("exprStmt", (): A.ExprStmt => {
    const start = this.start();
    const expr = this.SUBRULE(this.expression);
    return { kind: "ExprStmt", expr, span: this.span(start) };
  });

  // ──────────────────────────── expressions ────────────────────────────

  expression = this.RULE(
    "expression",
    (): A.Expr => {
      return this.OR(
        (this.expressionChoice ??= {
          DEF: [
            { GATE: () => this.lambdaAhead(), ALT: () => this.SUBRULE(this.lambda), IGNORE_AMBIGUITIES: true },
            { ALT: () => this.SUBRULE(this.binary) },
          ],
          ERR_MSG: expected.expression,
        }),
      );
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  private lambda = this.RULE(
    "lambda",
    (): A.Expr => {
      const start = this.start();
      const params: IToken[] = [];
      this.OR([
        { ALT: () => params.push(this.CONSUME(T.Identifier)) },
        {
          ALT: () => {
            this.CONSUME(T.LParen);
            this.OPTION(() => {
              params.push(this.CONSUME2(T.Identifier));
              this.MANY(() => {
                this.CONSUME(T.Comma);
                params.push(this.CONSUME3(T.Identifier));
              });
              this.OPTION2(() => this.CONSUME2(T.Comma));
            });
            this.closeWith(T.RParen, closes.lambdaParameters);
          },
        },
      ]);
      this.CONSUME(T.FatArrow);
      const body = this.SUBRULE(this.expression);
      if (this.RECORDING_PHASE) return undefined as never;
      return {
        kind: "LambdaExpr",
        params: params.map((t) => this.ident(t)),
        body,
        span: this.span(start),
      };
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  /** Operands and operators are collected flat, then folded by precedence (operators.ts). */
  /** Operands and operators are collected flat, then folded by precedence (operators.ts). */
  private binary = this.RULE(
    "binary",
    (): A.Expr => {
      const first = this.SUBRULE(this.operand);
      // Most expressions are a single operand. When no operator follows, the
      // loop would not be entered: skip it, and the closures and arrays it
      // takes. (It always runs in the recording phase, to record the grammar.)
      if (!this.RECORDING_PHASE && !this.nextIs(1, T.BinaryOperator) && !this.nextIs(1, T.Kw.as)) return first;
      const operands: A.Expr[] = [first];
      const operators: (IToken | A.TypeExpr)[] = [];
      this.MANY(() => {
        const next = this.OR(
          (this.binaryTailAlternatives ??= [
            { ALT: (): [IToken, A.Expr] => [this.CONSUME(T.BinaryOperator), this.SUBRULE2(this.operand)] },
            { ALT: (): A.TypeExpr => (this.CONSUME(T.Kw.as), this.SUBRULE(this.typeExpr)) },
          ]),
        );
        if (Array.isArray(next)) {
          operators.push(next[0]);
          operands.push(next[1]);
        } else {
          operators.push(next);
        }
      });
      return this.RECORDING_PHASE ? (undefined as never) : this.fold(operands, operators);
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  private fold(operands: A.Expr[], operators: (IToken | A.TypeExpr)[]): A.Expr {
    // Casts bind tighter than every binary operator: apply them first.
    const values: A.Expr[] = [operands[0]!];
    const ops: IToken[] = [];
    let next = 1;
    for (const op of operators) {
      if ("tokenType" in op) {
        ops.push(op);
        values.push(operands[next++]!);
      } else {
        const target = values.pop()!;
        values.push({
          kind: "CastExpr",
          expr: target,
          type: op,
          span: cover(target.span, op.span),
        });
      }
    }
    return this.climb(values, ops, 0, ops.length, 0).expr;
  }

  /** Precedence climbing over values[from..] and ops[from..to); returns the tree and where it stopped. */
  private climb(
    values: A.Expr[],
    ops: IToken[],
    from: number,
    to: number,
    minPrecedence: number,
  ): { expr: A.Expr; next: number } {
    let left = values[from]!;
    let i = from;
    let previousNonAssoc: IToken | null = null;
    while (i < to) {
      const op = ops[i]!;
      const symbol = op.image as A.BinaryOp;
      const precedence = binaryPrecedence[symbol];
      if (precedence < minPrecedence) break;
      const assoc = associativity(symbol);
      if (
        assoc === "none" &&
        previousNonAssoc !== null &&
        binaryPrecedence[previousNonAssoc.image as A.BinaryOp] === precedence
      ) {
        this.report({
          code: "FL0117",
          span: this.tokenSpan(op),
          message: `\`${previousNonAssoc.image}\` and \`${symbol}\` cannot be chained`,
          label: "a second comparison in a row",
          help: "compare two values at a time and join them with `&&`, or add parentheses",
          secondary: [
            {
              span: this.tokenSpan(previousNonAssoc),
              label: "the first comparison",
            },
          ],
        });
      }
      const right = this.climb(values, ops, i + 1, to, assoc === "right" ? precedence : precedence + 1);
      left = {
        kind: "BinaryExpr",
        op: symbol,
        left,
        right: right.expr,
        span: cover(left.span, right.expr.span),
      };
      i = right.next;
      previousNonAssoc = assoc === "none" ? op : null;
    }
    return { expr: left, next: i };
  }

  /** Prefix operators, a primary, then field accesses and calls. */
  private operand = this.RULE(
    "operand",
    (): A.Expr => {
      // Each loop is skipped when the next token cannot enter it, as for most
      // operands: that spares the closures chevrotain takes on every call.
      // In the recording phase both always run, to record the grammar.
      const prefixes: IToken[] = [];
      if (this.RECORDING_PHASE || this.nextIs(1, T.PrefixOperator))
        this.MANY(() => prefixes.push(this.CONSUME(T.PrefixOperator)));
      let expr = this.SUBRULE(this.primary);
      if (!this.RECORDING_PHASE && !this.nextIs(1, T.Dot) && !this.nextIs(1, T.LParen) && !this.nextIs(1, T.LBracket))
        return this.applyPrefixes(prefixes, expr);
      // The gate is on the loop, not on the call: a `(` on a new line must
      // end the expression, not enter the loop and fail there.
      this.MANY2({
        GATE: () => !(this.nextIs(1, T.LParen) || this.nextIs(1, T.LBracket)) || this.sameLine(),
        DEF: () => {
          const suffix = this.OR(
            (this.suffixAlternatives ??= [
              { ALT: (): IToken => (this.CONSUME(T.Dot), this.CONSUME(T.AnyName)) },
              { ALT: (): A.Arg[] => this.SUBRULE(this.argList) },
              { ALT: (): undefined => this.SUBRULE(this.indexAttempt) },
            ]),
          );
          if (this.RECORDING_PHASE || suffix === undefined) return;
          expr = Array.isArray(suffix)
            ? { kind: "CallExpr", callee: expr, args: suffix, span: cover(expr.span, this.span(expr.span.start)) }
            : { kind: "FieldExpr", object: expr, field: this.ident(suffix), span: cover(expr.span, this.tokenSpan(suffix)) };
        },
      });
      if (this.RECORDING_PHASE) return undefined as never;
      return this.applyPrefixes(prefixes, expr);
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  private applyPrefixes(prefixes: IToken[], operand: A.Expr): A.Expr {
    let expr = operand;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      const op = prefixes[i]!;
      expr = { kind: "UnaryExpr", op: op.image as A.UnaryOp, operand: expr, span: cover(this.tokenSpan(op), expr.span) };
    }
    return expr;
  }

  /** `xs[0]`: flow has no indexing; say so instead of reading `[0]` as the next statement. */
  private indexAttempt = this.RULE("indexAttempt", (): undefined => {
    const open = this.CONSUME(T.LBracket);
    this.SUBRULE(this.expression);
    const close = this.closeWith(T.RBracket, closes.index);
    this.ACTION(() =>
      this.report({
        code: "FL0110",
        span: { start: open.startOffset, end: Math.max(open.startOffset + 1, close.startOffset + close.image.length) },
        message: "flow has no indexing with `[…]`",
        label: "not an operation on values",
        help: "pick items with the std/list functions, or iterate with `for … in …`; if this list is another item of a list or call, a comma is missing before it",
      }),
    );
    return undefined;
  });

  private argList = this.RULE(
    "argList",
    (): A.Arg[] => {
      const args: A.Arg[] = [];
      this.CONSUME(T.LParen);
      this.commaSeparated(this.arg, args);
      this.closeWith(T.RParen, closes.argumentList);
      return args;
    },
    { recoveryValueFunc: (e) => nothing(e) },
  );

  private arg = this.RULE("arg", (): A.Arg => {
    const start = this.start();
    let name: IToken | null = null;
    if (this.mayEnter(T.Colon, 2))
      this.OPTION(() => {
        name = this.CONSUME(T.Identifier);
        this.CONSUME(T.Colon);
      });
    const value = this.SUBRULE(this.expression);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "Arg",
      name: name === null ? null : this.ident(name),
      value,
      span: this.span(start),
    };
  });

  private primary = this.RULE(
    "primary",
    (): A.Expr => {
      return this.OR(
        (this.primaryChoice ??= {
          DEF: [
            { ALT: () => this.SUBRULE(this.numeric) },
            { ALT: () => this.SUBRULE(this.stringLiteral) },
            { ALT: () => this.literalWord(this.CONSUME(T.Kw.true)) },
            { ALT: () => this.literalWord(this.CONSUME(T.Kw.false)) },
            { ALT: () => this.literalWord(this.CONSUME(T.Kw.null)) },
            {
              ALT: () => {
                const name = this.CONSUME(T.Identifier);
                if (this.RECORDING_PHASE) return undefined as never;
                return { kind: "NameExpr" as const, name: name.image, span: this.tokenSpan(name) };
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.LParen);
                const inner = this.SUBRULE(this.expression);
                this.closeWith(T.RParen, closes.parentheses);
                return inner;
              },
            },
            { ALT: () => this.SUBRULE(this.recordExpr) },
            { ALT: () => this.SUBRULE(this.listExpr) },
            { ALT: () => this.SUBRULE(this.forExpr) },
            { ALT: () => this.SUBRULE(this.waitSignal) },
          ],
          ERR_MSG: expected.expression,
        }),
      );
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  private literalWord(token: IToken): A.Expr {
    if (this.RECORDING_PHASE) return undefined as never;
    const span = this.tokenSpan(token);
    if (token.image === "null") return { kind: "NullLit", span };
    return { kind: "BoolLit", value: token.image === "true", span };
  }

  private numeric = this.RULE(
    "numeric",
    (): A.NumberLit | A.QuantityLit => {
      const token = this.OR(
        (this.numericChoice ??= {
          DEF: [{ ALT: () => this.CONSUME(T.NumberLiteral) }, { ALT: () => this.CONSUME(T.MoneyLiteral) }],
          ERR_MSG: expected.amount,
        }),
      );
      // `2 hours`: a unit word after a plain number on the same line.
      let spacedUnit: IToken | undefined;
      if (this.RECORDING_PHASE || this.nextIs(1, T.Identifier))
        this.OPTION({
          GATE: () =>
            this.nextIs(1, T.Identifier) &&
            unitForWord(this.LA(1).image) !== undefined &&
            this.sameLine() &&
            /^[\d.]+$/.test(token.image),
          DEF: () => (spacedUnit = this.CONSUME(T.Identifier)),
        });
      if (this.RECORDING_PHASE) return undefined as never;
      if (spacedUnit !== undefined) {
        const unit = unitForWord((spacedUnit as IToken).image)!;
        this.report({
          code: "FL0104",
          span: { start: token.startOffset, end: (spacedUnit as IToken).startOffset + (spacedUnit as IToken).image.length },
          message: "a unit follows its number without a space",
          label: `write \`${token.image}${unit}\``,
          help: unitHelp,
        });
      }
      {
        const span = this.tokenSpan(token);
        const meaning = numericMeaning(token.image);
        switch (meaning.kind) {
          case "number":
            return {
              kind: "NumberLit" as const,
              raw: token.image,
              value: meaning.value,
              integer: meaning.integer,
              span,
            };
          case "quantity":
            return {
              kind: "QuantityLit" as const,
              raw: token.image,
              dimension: meaning.dimension,
              value: meaning.value,
              span,
            };
          case "error":
            this.report({
              code: meaning.code,
              span,
              message: meaning.message,
              label: meaning.label ?? (meaning.code === "FL0104" ? "unknown unit" : "not a valid amount"),
              help: meaning.help,
            });
            return {
              kind: "NumberLit" as const,
              raw: "0",
              value: 0,
              integer: true,
              span,
            };
        }
      }
    },
    { recoveryValueFunc: (e) => zeroNumber(e, this.lastEnd()) },
  );

  private recordExpr = this.RULE(
    "recordExpr",
    (): A.Expr => {
      const start = this.start();
      this.CONSUME(T.LBrace);
      const fields: A.RecordField[] = [];
      this.commaSeparated(this.recordField, fields);
      this.closeWith(T.RBrace, closes.record);
      return { kind: "RecordExpr", fields, span: this.span(start) };
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  private recordField = this.RULE("recordField", (): A.RecordField => {
    const start = this.start();
    const name = this.CONSUME(T.AnyName);
    this.CONSUME(T.Colon);
    const value = this.SUBRULE(this.expression);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "RecordField",
      name: this.ident(name),
      value,
      span: this.span(start),
    };
  });

  listExpr = this.RULE(
    "listExpr",
    (): A.ListExpr => {
      const start = this.start();
      this.CONSUME(T.LBracket);
      const items: A.Expr[] = [];
      this.commaSeparated(this.expression, items);
      this.closeWith(T.RBracket, closes.list);
      return { kind: "ListExpr", items, span: this.span(start) };
    },
    { recoveryValueFunc: (e) => emptyList(e, this.lastEnd()) },
  );

  private forExpr = this.RULE(
    "forExpr",
    (): A.Expr => {
      const start = this.start();
      this.CONSUME(T.Kw.for);
      const binding = this.CONSUME(T.Identifier);
      this.CONSUME(T.Kw.in);
      const iterable = this.SUBRULE(this.expression);
      const modifiers: { word: IToken; value: A.Expr }[] = [];
      this.MANY(() => {
        const word = this.OR([
          { ALT: () => this.CONSUME(T.Ckw.concurrency) },
          { ALT: () => this.CONSUME(T.Ckw.tolerate) },
          { ALT: () => this.CONSUME(T.Ckw.limit) },
        ]);
        const value = this.SUBRULE2(this.expression);
        modifiers.push({ word, value });
      });
      const body = this.SUBRULE(this.block);
      return this.ACTION(() => {
        const found: Record<string, { word: IToken; value: A.Expr }> = {};
        for (const modifier of modifiers) {
          const earlier = found[modifier.word.image];
          if (earlier !== undefined) {
            this.report({
              code: "FL0119",
              span: this.tokenSpan(modifier.word),
              message: `\`${modifier.word.image}\` is given twice`,
              label: "the second one",
              secondary: [{ span: this.tokenSpan(earlier.word), label: "first given here" }],
              help: "keep one",
            });
            continue;
          }
          found[modifier.word.image] = modifier;
        }
        return {
          kind: "ForExpr" as const,
          binding: this.ident(binding),
          iterable,
          concurrency: found["concurrency"]?.value ?? null,
          tolerate: found["tolerate"]?.value ?? null,
          limit: found["limit"]?.value ?? null,
          body,
          span: this.span(start),
        };
      })!;
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  private waitSignal = this.RULE(
    "waitSignal",
    (): A.Expr => {
      const start = this.start();
      this.CONSUME(T.Kw.wait);
      this.CONSUME(T.Ckw.signal, {
        ERR_MSG: expected.signalKeyword,
      });
      const name = this.SUBRULE(this.plainString);
      this.CONSUME(T.Arrow, {
        ERR_MSG: expected.signalType,
      });
      const type = this.SUBRULE(this.typeExpr);
      let timeout: A.Expr | null = null;
      this.OPTION(() => {
        this.CONSUME(T.Ckw.timeout);
        timeout = this.SUBRULE(this.expression);
      });
      return {
        kind: "WaitSignalExpr",
        name,
        type,
        timeout,
        span: this.span(start),
      };
    },
    { recoveryValueFunc: (e) => errorExpr(e, this.lastEnd()) },
  );

  // ───────────────────────────── strings ─────────────────────────────

  /** A string with no interpolation: import paths, labels, gate names, model ids. */
  private plainString = this.RULE(
    "plainString",
    (): A.StringLit => {
      const literal = this.SUBRULE(this.stringLiteral);
      if (this.RECORDING_PHASE) return literal;
      const interpolation = literal.parts.find((p) => p.kind === "InterpolationPart");
      if (interpolation !== undefined) {
        this.report({
          code: "FL0110",
          span: interpolation.span,
          message: "this string must be a constant",
          label: "no interpolation here",
          help: "names, labels and paths are fixed when the program is checked; write the text out",
        });
      }
      return literal;
    },
    { recoveryValueFunc: (e) => emptyString(e, this.lastEnd()) },
  );

  stringLiteral = this.RULE(
    "stringLiteral",
    (): A.StringLit => {
      return this.OR(
        (this.stringChoice ??= {
          DEF: [
            { ALT: () => this.SUBRULE(this.quotedString) },
            { ALT: () => this.SUBRULE(this.blockString) },
            { ALT: () => this.SUBRULE(this.foreignString) },
          ],
          ERR_MSG: expected.quotedString,
        }),
      );
    },
    { recoveryValueFunc: (e) => emptyString(e, this.lastEnd()) },
  );

  /** `'text'` or `` `text` ``: reported, and read as the string it was meant to be (without interpolation). */
  private foreignString = this.RULE("foreignString", (): A.StringLit => {
    const token = this.CONSUME(T.ForeignString);
    if (this.RECORDING_PHASE) return undefined as never;
    const quote = token.image[0]!;
    const closed = token.image.length > 1 && token.image.endsWith(quote);
    const text = token.image.slice(1, closed ? -1 : undefined);
    const span = this.tokenSpan(token);
    this.report({
      code: "FL0110",
      span,
      message: `strings go in double quotes, not ${quote === "'" ? "single quotes" : "backticks"}`,
      label: `write "${text.length > 30 ? `${text.slice(0, 30)}…` : text}"`,
      help: 'write `"text"`; interpolate with `${…}` inside double quotes, and use `"""` for text over several lines',
    });
    return { kind: "StringLit", block: false, parts: text === "" ? [] : [{ kind: "TextPart", value: text, span }], span };
  });

  private quotedString = this.RULE(
    "quotedString",
    (): A.StringLit => {
      const start = this.start();
      const open = this.CONSUME(T.Quote);
      const pieces: RawPiece[] = [];
      this.MANY(() => this.add(pieces, this.SUBRULE(this.stringPiece)));
      const close = this.OR(
        (this.stringCloseChoice ??= {
          DEF: [{ ALT: () => this.CONSUME(T.QuoteClose) }, { ALT: () => this.CONSUME(T.StringNewline) }],
          ERR_MSG: closes.string,
        }),
      );
      if (this.RECORDING_PHASE) return undefined as never;
      if (close.tokenType === T.StringNewline) {
        this.report({
          code: "FL0102",
          span: { start: close.startOffset, end: close.startOffset },
          message: "this string is not closed before the end of the line",
          label: 'expected `"` here',
          help: 'close it with `"`; for text over several lines use a `"""` block',
          secondary: [
            {
              span: this.tokenSpan(open),
              label: "the string starts here",
            },
          ],
        });
      }
      const built = buildPlainString(pieces);
      this.reportStringProblems(built.problems);
      return { kind: "StringLit", block: false, parts: built.parts, span: this.span(start) };
    },
    { recoveryValueFunc: (e) => emptyString(e, this.lastEnd()) },
  );

  private blockString = this.RULE(
    "blockString",
    (): A.StringLit => {
      const start = this.start();
      const open = this.CONSUME(T.TripleQuote);
      const pieces: RawPiece[] = [];
      this.MANY(() => this.add(pieces, this.SUBRULE(this.stringPiece)));
      this.closeWith(T.TripleQuoteClose, closes.blockString);
      return this.ACTION(() => {
        const built = buildBlockString(pieces, open.startOffset + open.image.length);
        this.reportStringProblems(built.problems);
        return {
          kind: "StringLit" as const,
          block: true,
          parts: built.parts,
          span: this.span(start),
        };
      })!;
    },
    { recoveryValueFunc: (e) => emptyString(e, this.lastEnd()) },
  );

  /** One piece of a string; returned rather than added to a list passed in, so the alternatives are built once. */
  private stringPiece = this.RULE("stringPiece", (): RawPiece | undefined => {
    return this.OR(
      (this.stringPieceAlternatives ??= [
        { ALT: () => this.textPiece(this.CONSUME(T.StringText)) },
        { ALT: () => this.textPiece(this.CONSUME(T.BlockText)) },
        { ALT: () => this.textPiece(this.CONSUME(T.Dollar)) },
        {
          ALT: () => {
            const escape = this.CONSUME(T.Escape);
            return this.RECORDING_PHASE ? undefined : { kind: "escape", raw: escape.image, start: escape.startOffset };
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME(T.InterpolationStart);
            const expr = this.SUBRULE(this.expression);
            this.closeWith(T.RBrace, closes.interpolation);
            return this.RECORDING_PHASE ? undefined : { kind: "interpolation", expr, span: this.span(open.startOffset) };
          },
        },
      ]),
    );
  });

  private textPiece(token: IToken): RawPiece | undefined {
    return this.RECORDING_PHASE ? undefined : { kind: "text", raw: token.image, start: token.startOffset };
  }

  private reportStringProblems(
    problems: readonly {
      code: "FL0103" | "FL0107";
      span: Span;
      message: string;
    }[],
  ): void {
    for (const p of problems) {
      this.report({
        code: p.code,
        span: p.span,
        message: p.message,
        label: p.code === "FL0103" ? "unknown escape" : "move this text to the next line",
        help:
          p.code === "FL0103"
            ? 'escapes are \\n \\r \\t \\\\ \\" \\$ \\0 and \\u{…}; write `\\\\` for a backslash'
            : 'begin the block\'s text on the line after `"""`',
      });
    }
  }

  // ────────────────────────────── types ──────────────────────────────

  typeExpr = this.RULE(
    "typeExpr",
    (): A.TypeExpr => {
      const start = this.start();
      const members: A.TypeExpr[] = [this.SUBRULE(this.optionalType)];
      if (this.mayEnter(T.Pipe))
        this.MANY(() => {
          this.CONSUME(T.Pipe);
          this.add(members, this.SUBRULE2(this.optionalType));
        });
      if (this.RECORDING_PHASE) return undefined as never;
      return members.length === 1 ? members[0]! : { kind: "UnionType", members, span: this.span(start) };
    },
    {
      recoveryValueFunc: () => ({ kind: "ErrorType", span: { start: 0, end: 0 } }) as A.ErrorType,
    },
  );

  private optionalType = this.RULE(
    "optionalType",
    (): A.TypeExpr => {
      const start = this.start();
      let inner = this.SUBRULE(this.typeAtom);
      let optional = false;
      // `string[]` is how other languages write a list: say how flow does.
      // Only on the same line: a `[` on the next line starts a statement.
      if (this.mayEnter(T.LBracket))
        this.OPTION2({
          GATE: () => this.nextIs(2, T.RBracket) && this.sameLine(),
          DEF: () => {
            const open = this.CONSUME(T.LBracket);
            const close = this.CONSUME(T.RBracket);
            this.ACTION(() => {
              this.report({
                code: "FL0113",
                span: { start: open.startOffset, end: close.startOffset + 1 },
                message: "a list type is written `List<T>`, not `T[]`",
                label: "not a flow type",
                help: "write `List<T>`, with a bound where the list is fanned out over: `List<T, max 100>`",
              });
              inner = { kind: "ListType", element: inner, max: null, span: this.span(start) };
            });
          },
        });
      if (this.mayEnter(T.Question))
        this.OPTION(() => {
          this.CONSUME(T.Question);
          optional = true;
        });
      if (this.RECORDING_PHASE) return undefined as never;
      return optional ? { kind: "OptionalType", inner, span: this.span(start) } : inner;
    },
    { recoveryValueFunc: (e) => errorType(e, this.lastEnd()) },
  );

  private typeAtom = this.RULE(
    "typeAtom",
    (): A.TypeExpr => {
      return this.OR({
        DEF: [
          { ALT: () => this.SUBRULE(this.namedType) },
          {
            ALT: () => {
              const literal = this.SUBRULE(this.plainString);
              if (this.RECORDING_PHASE) return undefined as never;
              return {
                kind: "LiteralType" as const,
                value: literal.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join(""),
                span: literal.span,
              };
            },
          },
          { ALT: () => this.SUBRULE(this.recordType) },
          { ALT: () => this.SUBRULE(this.parenthesizedOrFunctionType) },
        ],
        ERR_MSG: expected.type,
      });
    },
    { recoveryValueFunc: (e) => errorType(e, this.lastEnd()) },
  );

  /** `(T)` is `T`; `(T) -> U`, `(A, B) -> bool` and `() -> T` are function types (std declarations only). */
  private parenthesizedOrFunctionType = this.RULE(
    "parenthesizedOrFunctionType",
    (): A.TypeExpr => {
      const start = this.start();
      this.CONSUME(T.LParen);
      const params: A.TypeExpr[] = [];
      this.OPTION(() => this.commaSeparated(this.typeExpr, params));
      this.closeWith(T.RParen, closes.functionType);
      let result: A.TypeExpr | null = null;
      this.OPTION2(() => {
        this.CONSUME(T.Arrow);
        result = this.SUBRULE2(this.typeExpr);
      });
      return this.ACTION((): A.TypeExpr => {
        if (result !== null) return { kind: "FunctionType", params, result, span: this.span(start) };
        if (params.length === 1) return params[0]!;
        this.report({
          code: "FL0113",
          span: this.span(start),
          message: params.length === 0 ? "`()` is not a type" : "a tuple is not a flow type",
          label: "expected `->` and a result type after these parentheses",
          help: "group several values in a record: `{ name: string, score: float }`",
        });
        return { kind: "ErrorType", span: this.span(start) };
      })!;
    },
    { recoveryValueFunc: (e) => errorType(e, this.lastEnd()) },
  );

  /**
   * Only `List` takes type arguments, so `<` opens them only after `List`:
   * that keeps `n as int < limit` a comparison. `Map<T>` and the like get
   * their own message instead of a stray `<`.
   */
  private namedType = this.RULE(
    "namedType",
    (): A.TypeExpr => {
      const start = this.start();
      const name = this.CONSUME(T.Identifier);
      let element: A.TypeExpr | null = null;
      let max: A.NumberLit | A.QuantityLit | IToken | null = null;
      this.OPTION({
        GATE: () => name.image === "List",
        DEF: () => {
          this.CONSUME(T.Less);
          element = this.SUBRULE(this.typeExpr);
          this.OPTION2(() => {
            this.CONSUME(T.Comma);
            this.CONSUME(T.Ckw.max, { ERR_MSG: expected.listBound });
            max = this.OR([
              { ALT: (): A.NumberLit | A.QuantityLit | IToken => this.SUBRULE(this.numeric) },
              { ALT: (): A.NumberLit | A.QuantityLit | IToken => this.CONSUME2(T.Identifier) },
            ]);
          });
          this.closeWith(T.Greater, closes.typeArguments);
        },
      });
      return this.ACTION((): A.TypeExpr => {
        const ident = this.ident(name);
        if (element === null) {
          // `Map<string>`: a capitalised name, `<`, a name and `>` or `,` can only be meant as type arguments.
          const looksGeneric =
            /^[A-Z]/.test(name.image) &&
            this.nextIs(1, T.Less) &&
            this.nextIs(2, T.AnyName) &&
            (this.nextIs(3, T.Greater) || this.nextIs(3, T.Comma));
          if (looksGeneric) {
            this.report({
              code: "FL0113",
              span: ident.span,
              message: `only \`List\` takes type arguments, not \`${name.image}\``,
              label: "not a generic type",
              help: "write `List<T>` or `List<T, max N>`; other types are used by name",
            });
          }
          return { kind: "NamedType", name: ident, span: this.span(start) };
        }
        const written = max as A.NumberLit | A.QuantityLit | IToken | null;
        // A name is a size variable or an `int` parameter; the checker says which it may be where.
        if (written !== null && !("kind" in written)) return { kind: "ListType", element, max: this.ident(written), span: this.span(start) };
        const bound = written;
        if (bound !== null && (bound.kind !== "NumberLit" || !bound.integer)) {
          this.report({
            code: "FL0113",
            span: bound.span,
            message: "a list's bound is a whole number",
            label: "expected a count such as `200`",
          });
        }
        const maxLit = bound !== null && bound.kind === "NumberLit" ? bound : null;
        return { kind: "ListType", element, max: maxLit, span: this.span(start) };
      })!;
    },
    { recoveryValueFunc: (e) => errorType(e, this.lastEnd()) },
  );

  private recordType = this.RULE(
    "recordType",
    (): A.TypeExpr => {
      const start = this.start();
      this.CONSUME(T.LBrace);
      const fields: A.RecordTypeField[] = [];
      this.commaSeparated(this.recordTypeField, fields);
      this.closeWith(T.RBrace, closes.recordType);
      return { kind: "RecordType", fields, span: this.span(start) };
    },
    { recoveryValueFunc: (e) => errorType(e, this.lastEnd()) },
  );

  private recordTypeField = this.RULE("recordTypeField", (): A.RecordTypeField => {
    const start = this.start();
    const name = this.CONSUME(T.AnyName);
    this.CONSUME(T.Colon);
    const type = this.SUBRULE(this.typeExpr);
    if (this.RECORDING_PHASE) return undefined as never;
    return {
      kind: "RecordTypeField",
      name: this.ident(name),
      type,
      span: this.span(start),
    };
  });
}
