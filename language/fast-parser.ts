import {
  idx,
  ARROW,
  BANG,
  BLOCK_TEXT,
  CKW_BACKOFF,
  CKW_BUDGET,
  CKW_BY,
  CKW_CAP,
  CKW_CONCURRENCY,
  CKW_COST,
  CKW_DEFAULT,
  CKW_EFFECTS,
  CKW_FROM,
  CKW_GATE,
  CKW_GRANTS,
  CKW_LIMIT,
  CKW_MAX,
  CKW_MODELS,
  CKW_ON,
  CKW_PROMPT,
  CKW_RETRY,
  CKW_SANDBOX,
  CKW_SHOW,
  CKW_SIGNAL,
  CKW_TIMEOUT,
  CKW_TOLERATE,
  CKW_TOOLS,
  COLON,
  COMMA,
  DOLLAR,
  DOT,
  EQUALS,
  ESCAPE,
  FAT_ARROW,
  FOREIGN_STRING,
  GREATER,
  IDENTIFIER,
  INTERPOLATION_START,
  KW_AGENT,
  KW_APPROVE,
  KW_AS,
  KW_CHECKPOINT,
  KW_ELSE,
  KW_FAIL,
  KW_FALSE,
  KW_FN,
  KW_FOR,
  KW_IF,
  KW_IMPORT,
  KW_IN,
  KW_LET,
  KW_NODE,
  KW_NULL,
  KW_RETURN,
  KW_SLEEP,
  KW_TRUE,
  KW_TYPE,
  KW_VERIFIER,
  KW_VERIFY,
  KW_WAIT,
  KW_WORKFLOW,
  LBRACE,
  LBRACKET,
  LESS,
  LPAREN,
  MINUS,
  MONEY_LITERAL,
  NUMBER_LITERAL,
  PIPE,
  QUESTION,
  QUOTE,
  QUOTE_CLOSE,
  RBRACE,
  RBRACKET,
  RPAREN,
  STRING_TEXT,
  TRIPLE_QUOTE,
  TRIPLE_QUOTE_CLOSE,
} from "./token-indexes.ts";
import type * as A from "./ast.ts";
import { associativity, binaryPrecedence } from "./operators.ts";
import { numericMeaning, unitForWord } from "./quantities.ts";
import type { ScannedTokens } from "./scan.ts";
import type { Span } from "./source-file.ts";
import { buildBlockString, buildPlainString, type RawPiece } from "./string-literal.ts";
import * as T from "./tokens.ts";

/**
 * The fast path of parsing: a plain recursive-descent parser for the
 * declarations that have no syntax error, which are nearly all of them.
 *
 * The full parser (parser.ts, on chevrotain) is what defines the language
 * and what explains every syntax error, with recovery; its generality costs
 * most of the time `flow check` spends on a large program. This parser
 * follows the same grammar rule for rule, builds the same tree (the same
 * nodes, fields in the same order, the same spans), and gives up, returning
 * undefined, at the first thing the full parser would report or where its
 * lookahead might choose otherwise: such a declaration is parsed again by
 * the full parser, as before. So a tree from here is always the full
 * parser's tree, and every diagnostic still comes from the full parser.
 * test/fast-parser.test.ts holds the two to that on generated programs,
 * damaged programs, and every file of the repository.
 *
 * A rule of thumb where the grammar has a choice: an optional part or a
 * loop is entered when its first two tokens fit it, passed over when the
 * first does not, and anything in between gives up (the full parser would
 * report it, or decide on more than this parser looks at).
 */
export function parseDeclarationFast(text: string, tokens: ScannedTokens, from: number, to: number): A.Decl | undefined {
  const parser = new FastParser(text, tokens, from, to);
  try {
    const decl = parser.declaration();
    return parser.atEnd() ? decl : undefined;
  } catch (error) {
    // Giving up, or a declaration nested too deeply for this parser's stack: the full parser takes it.
    if (error === giveUp || error instanceof RangeError) return undefined;
    throw error;
  }
}

/** Thrown to give up on a declaration; never escapes `parseDeclarationFast`. */
const giveUp = new Error("not on the fast path");

type CallableKind = A.CallableDecl["kind"];

class FastParser {
  private readonly types: Int32Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly wordIds: Int32Array;
  private readonly words: readonly string[];
  /** The next token. */
  private i: number;
  /** How deep expressions, types and blocks nest here (see `enter`). */
  private depth = 0;

  constructor(
    private readonly text: string,
    tokens: ScannedTokens,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.types = tokens.types;
    this.starts = tokens.starts;
    this.ends = tokens.ends;
    this.wordIds = tokens.wordIds;
    this.words = tokens.words;
    this.i = from;
  }

  atEnd(): boolean {
    return this.i === this.to;
  }

  /**
   * Counts one more level of nesting. Deep nesting is left to the full
   * parser: its recursion is several times deeper than this one's, and
   * where it runs out of stack it reports FL0121; giving up long before
   * that keeps that report its own.
   */
  private enter(): void {
    if (++this.depth > maxDepth) throw giveUp;
  }

  // ───────────────────────────── helpers ─────────────────────────────

  /** The type of the token `k` ahead (1 is the next), or END past the declaration. */
  private la(k: number): number {
    const at = this.i + k - 1;
    return at < this.to ? this.types[at]! : END;
  }

  private next(): number {
    return this.i < this.to ? this.types[this.i]! : END;
  }

  /** Consumes a token of type `type` and returns its index. */
  private expect(type: number): number {
    if (this.next() !== type) throw giveUp;
    return this.i++;
  }

  /** Consumes a name (an Identifier or a contextual keyword: what `Identifier` matches in the grammar). */
  private expectName(): number {
    if (!isName[this.next() + 1]) throw giveUp;
    return this.i++;
  }

  /** Consumes a field name: a name or a reserved word. */
  private expectAnyName(): number {
    if (!isAnyName[this.next() + 1]) throw giveUp;
    return this.i++;
  }

  /** A token's text; a word's is the scanner's one string for it. */
  private image(k: number): string {
    const word = this.wordIds[k]!;
    return word >= 0 ? this.words[word]! : this.text.slice(this.starts[k]!, this.ends[k]!);
  }

  /** Where the next token starts. */
  private start(): number {
    return this.starts[this.i]!;
  }

  /** From `start` to the end of the last token consumed. */
  private span(start: number): Span {
    const end = this.i > this.from ? this.ends[this.i - 1]! : start;
    return { start, end: Math.max(start, end) };
  }

  /**
   * `span(start)`, or `inner`'s own span object when it covers exactly
   * that: a node that only wraps another (a positional argument, an
   * expression statement, a named type) shares its child's span. Spans are
   * never changed, and a large tree has a hundred thousand such wrappers.
   */
  private spanAround(start: number, inner: Span): Span {
    const end = this.i > this.from ? Math.max(start, this.ends[this.i - 1]!) : start;
    return inner.start === start && inner.end === end ? inner : { start, end };
  }

  private tokenSpan(k: number): Span {
    return { start: this.starts[k]!, end: this.ends[k]! };
  }

  private ident(k: number): A.Ident {
    return { kind: "Ident", name: this.image(k), span: this.tokenSpan(k) };
  }

  /** Whether no line break lies between the last token consumed and the next (the call rule, grammar.md §2.7). */
  private sameLine(): boolean {
    if (this.i === this.from || this.i >= this.to) return true;
    const text = this.text;
    for (let at = this.ends[this.i - 1]!, end = this.starts[this.i]!; at < end; at++) if (text.charCodeAt(at) === 10) return false;
    return true;
  }

  /**
   * `item, item, …` with an optional trailing comma, as `commaSeparated` in
   * parser.ts. An item on the same line without a comma before it is a
   * missing comma (FL0111): given up on, as anything that is neither a
   * comma nor the list's end, which the caller then expects.
   */
  private commaSeparated<N>(starts: Uint8Array, item: (this: FastParser) => N): N[] {
    // `item` is a method, called on this parser: no closure to allocate per list.
    const into: N[] = [];
    if (!starts[this.next() + 1]) return into;
    into.push(item.call(this));
    for (;;) {
      const t = this.next();
      if (t !== COMMA) return exact(into);
      if (!starts[this.la(2) + 1]) break;
      this.i++;
      into.push(item.call(this));
    }
    this.i++; // a trailing comma
    return exact(into);
  }

  // ─────────────────────────── declarations ───────────────────────────

  declaration(): A.Decl {
    switch (this.next()) {
      case KW_IMPORT:
        return this.importDecl();
      case KW_TYPE:
        return this.typeDecl();
      case CKW_MODELS:
        return this.modelsDecl();
      case KW_NODE:
        return this.callableDecl("NodeDecl");
      case KW_AGENT:
        return this.callableDecl("AgentDecl");
      case KW_VERIFIER:
        return this.callableDecl("VerifierDecl");
      case KW_WORKFLOW:
        return this.callableDecl("WorkflowDecl");
      case KW_FN:
        return this.fnDecl();
      default:
        throw giveUp;
    }
  }

  private importDecl(): A.ImportDecl {
    const start = this.start();
    this.i++;
    this.expect(LBRACE);
    const names: A.ImportName[] = this.commaSeparated(startsName, this.importName);
    this.expect(RBRACE);
    this.expect(CKW_FROM);
    const from = this.plainString();
    return { kind: "ImportDecl", names, from, span: this.span(start) };
  }

  private importName(): A.ImportName {
    const start = this.start();
    const name = this.expectName();
    let alias: A.Ident | null = null;
    if (this.next() === KW_AS) {
      this.i++;
      alias = this.ident(this.expectName());
    }
    return { kind: "ImportName", name: this.ident(name), alias, span: this.span(start) };
  }

  private typeDecl(): A.TypeDecl {
    const start = this.start();
    this.i++;
    const name = this.expectName();
    this.expect(EQUALS);
    const type = this.typeExpr();
    return { kind: "TypeDecl", name: this.ident(name), type, span: this.span(start) };
  }

  private modelsDecl(): A.ModelsDecl {
    const start = this.start();
    this.i++;
    const name = this.expectName();
    this.expect(EQUALS);
    this.expect(LBRACKET);
    const models: A.StringLit[] = this.commaSeparated(startsString, this.plainString);
    this.expect(RBRACKET);
    return { kind: "ModelsDecl", name: this.ident(name), models, span: this.span(start) };
  }

  private callableDecl(kind: CallableKind): A.CallableDecl {
    const start = this.start();
    this.i++;
    const name = this.expectName();
    const params = this.paramList();
    this.expect(ARROW);
    const returnType = this.typeExpr();
    let clauses: A.Clause[] = [];
    // Any name here is taken for a clause; one that is not a clause keyword is FL0122.
    while (isName[this.next() + 1]) clauses.push(this.clause());
    clauses = exact(clauses);
    let body: A.Block | null = null;
    if (this.next() === LBRACE) body = this.block();
    const common = { name: this.ident(name), params, returnType, clauses, span: this.span(start) };
    if (kind === "AgentDecl") {
      // An agent with a body, or without a prompt, is FL0123.
      if (body !== null || !clauses.some((c) => c.kind === "PromptClause")) throw giveUp;
      return { kind, ...common };
    }
    if (body === null) throw giveUp; // FL0123: a body is needed
    return { kind, ...common, body };
  }

  private fnDecl(): A.FnDecl {
    const start = this.start();
    this.i++;
    let namespace: number | null = null;
    let name = this.expectName();
    if (this.next() === DOT) {
      this.i++;
      namespace = name;
      name = this.expectName();
    }
    let typeParams: A.TypeParam[] = [];
    if (this.next() === LESS) {
      this.i++;
      typeParams = this.commaSeparated(startsName, this.typeParam);
      this.expect(GREATER);
    }
    const params = this.paramList();
    this.expect(ARROW);
    const returnType = this.typeExpr();
    const clauses: A.Clause[] = [];
    while (isClauseKeyword[this.next() + 1]) clauses.push(this.clause());
    return {
      kind: "FnDecl",
      namespace: namespace === null ? null : this.ident(namespace),
      name: this.ident(name),
      typeParams,
      params,
      returnType,
      clauses: exact(clauses),
      span: this.span(start),
    };
  }

  private typeParam(): A.TypeParam {
    const start = this.start();
    const name = this.expectName();
    let constraint: A.Ident | null = null;
    if (this.next() === COLON) {
      this.i++;
      constraint = this.ident(this.expectName());
    }
    return { kind: "TypeParam", name: this.ident(name), constraint, span: this.span(start) };
  }

  private paramList(): A.Param[] {
    this.expect(LPAREN);
    const params: A.Param[] = this.commaSeparated(startsName, this.param);
    this.expect(RPAREN);
    return params;
  }

  private param(): A.Param {
    const start = this.start();
    const name = this.expectName();
    this.expect(COLON);
    const type = this.typeExpr();
    return { kind: "Param", name: this.ident(name), type, span: this.span(start) };
  }

  // ───────────────────────────── clauses ─────────────────────────────

  private clause(): A.Clause {
    switch (this.next()) {
      case CKW_EFFECTS:
        return this.effectsClause("EffectsClause");
      case CKW_GRANTS:
        return this.effectsClause("GrantsClause");
      case CKW_BUDGET:
        return this.budgetClause();
      case CKW_RETRY:
        return this.retryClause();
      case CKW_TIMEOUT: {
        const start = this.start();
        this.i++;
        const duration = this.expression();
        return { kind: "TimeoutClause", duration, span: this.span(start) };
      }
      case CKW_GATE: {
        const start = this.start();
        this.i++;
        const name = this.plainString();
        return { kind: "GateClause", name, span: this.span(start) };
      }
      case CKW_SANDBOX: {
        const start = this.start();
        this.i++;
        const profile = this.plainString();
        return { kind: "SandboxClause", profile, span: this.span(start) };
      }
      case CKW_MODELS: {
        const start = this.start();
        this.i++;
        let route: A.Ident | A.ListExpr;
        if (isName[this.next() + 1]) route = this.ident(this.i++);
        else if (this.next() === LBRACKET) route = this.listExpr();
        else throw giveUp;
        return { kind: "ModelsClause", route, span: this.span(start) };
      }
      case CKW_TOOLS: {
        const start = this.start();
        this.i++;
        this.expect(LBRACKET);
        const tools: A.QualifiedName[] = this.commaSeparated(startsName, this.qualifiedName);
        this.expect(RBRACKET);
        return { kind: "ToolsClause", tools, span: this.span(start) };
      }
      case CKW_PROMPT: {
        const start = this.start();
        this.i++;
        const text = this.stringLiteral();
        return { kind: "PromptClause", text, span: this.span(start) };
      }
      case CKW_COST: {
        const start = this.start();
        this.i++;
        this.expect(LBRACE);
        const entries: A.CostEntry[] = this.commaSeparated(startsName, this.costEntry);
        this.expect(RBRACE);
        return { kind: "CostClause", entries, span: this.span(start) };
      }
      default:
        throw giveUp; // a name that is no clause: FL0122
    }
  }

  private costEntry(): A.CostEntry {
    const start = this.start();
    const key = this.expectName();
    this.expect(COLON);
    const value: A.NumberLit | A.QuantityLit | A.Ident = isName[this.next() + 1] ? this.ident(this.i++) : this.numeric();
    return { kind: "CostEntry", key: this.ident(key), value, span: this.span(start) };
  }

  private effectsClause(kind: "EffectsClause" | "GrantsClause"): A.EffectsClause | A.GrantsClause {
    const start = this.start();
    this.i++;
    this.expect(LBRACE);
    const effects: A.EffectRef[] = this.commaSeparated(startsName, this.effectRef);
    this.expect(RBRACE);
    return { kind, effects, span: this.span(start) };
  }

  private effectRef(): A.EffectRef {
    const start = this.start();
    const path: A.Ident[] = [this.ident(this.expectName())];
    while (this.next() === DOT) {
      this.i++;
      path.push(this.ident(this.expectAnyName()));
    }
    let scope: A.StringLit | null = null;
    if (this.next() === LPAREN) {
      this.i++;
      scope = this.plainString();
      this.expect(RPAREN);
    }
    return { kind: "EffectRef", path: exact(path), scope, span: path.length === 1 && scope === null ? this.spanAround(start, path[0]!.span) : this.span(start) };
  }

  private budgetClause(): A.BudgetClause {
    const start = this.start();
    this.i++;
    this.expect(LBRACE);
    const entries: A.BudgetEntry[] = this.commaSeparated(startsName, this.budgetEntry);
    this.expect(RBRACE);
    return { kind: "BudgetClause", entries, span: this.span(start) };
  }

  private budgetEntry(): A.BudgetEntry {
    const start = this.start();
    const key = this.expectName();
    this.expect(COLON);
    const value = this.numeric();
    return { kind: "BudgetEntry", key: this.ident(key), value, span: this.span(start) };
  }

  private retryClause(): A.RetryClause {
    const start = this.start();
    this.i++;
    const count = this.expect(NUMBER_LITERAL);
    const raw = this.image(count);
    const meaning = numericMeaning(raw);
    // Anything but a whole number of attempts is FL0110.
    if (meaning.kind !== "number" || !meaning.integer) throw giveUp;
    const attempts: A.NumberLit = { kind: "NumberLit", raw, value: meaning.value, integer: true, span: this.tokenSpan(count) };
    let backoff: A.Backoff | null = null;
    if (this.next() === CKW_BACKOFF) backoff = this.backoff();
    let on: A.Ident[] | null = null;
    if (this.next() === CKW_ON) {
      this.i++;
      this.expect(LBRACKET);
      const kinds: A.Ident[] = [];
      if (isName[this.next() + 1]) {
        kinds.push(this.ident(this.i++));
        while (this.next() === COMMA && isName[this.la(2) + 1]) {
          this.i++;
          kinds.push(this.ident(this.i++));
        }
        if (this.next() === COMMA) this.i++;
      }
      this.expect(RBRACKET);
      on = exact(kinds);
    }
    return { kind: "RetryClause", attempts, backoff, on, span: this.span(start) };
  }

  private backoff(): A.Backoff {
    const start = this.start();
    this.i++;
    const strategy = this.expectName();
    this.expect(LPAREN);
    const base = this.expression();
    let cap: A.Expr | null = null;
    if (this.next() === COMMA) {
      this.i++;
      this.expect(CKW_CAP);
      cap = this.expression();
    }
    this.expect(RPAREN);
    return { kind: "Backoff", strategy: this.ident(strategy), base, cap, span: this.span(start) };
  }

  private qualifiedName(): A.QualifiedName {
    const start = this.start();
    const parts: A.Ident[] = [this.ident(this.expectName())];
    while (this.next() === DOT) {
      this.i++;
      parts.push(this.ident(this.expectAnyName()));
    }
    return { kind: "QualifiedName", parts: exact(parts), span: parts.length === 1 ? this.spanAround(start, parts[0]!.span) : this.span(start) };
  }

  // ──────────────────────────── statements ────────────────────────────

  private block(): A.Block {
    this.enter();
    const start = this.start();
    this.expect(LBRACE);
    const stmts: A.Stmt[] = [];
    while (this.next() !== RBRACE) stmts.push(this.statement());
    this.i++;
    this.depth--;
    return { kind: "Block", stmts: exact(stmts), span: this.span(start) };
  }

  private statement(): A.Stmt {
    switch (this.next()) {
      case KW_LET:
        return this.letStmt();
      case KW_RETURN: {
        const start = this.start();
        this.i++;
        const value = this.expression();
        return { kind: "ReturnStmt", value, span: this.span(start) };
      }
      case KW_IF: {
        const start = this.start();
        this.i++;
        return this.ifTail(start);
      }
      case KW_CHECKPOINT: {
        const start = this.start();
        this.i++;
        const label = this.plainString();
        return { kind: "CheckpointStmt", label, span: this.span(start) };
      }
      case KW_FAIL: {
        const start = this.start();
        this.i++;
        const kind = this.expectName();
        this.expect(LPAREN);
        const message = this.expression();
        this.expect(RPAREN);
        return { kind: "FailStmt", errorKind: this.ident(kind), message, span: this.span(start) };
      }
      case KW_VERIFY: {
        const start = this.start();
        this.i++;
        const check = this.expression();
        this.expect(KW_ELSE);
        const message = this.expression();
        return { kind: "VerifyStmt", check, message, span: this.span(start) };
      }
      case KW_APPROVE:
        return this.approveStmt();
      case KW_SLEEP: {
        const start = this.start();
        this.i++;
        const duration = this.expression();
        return { kind: "SleepStmt", duration, span: this.span(start) };
      }
      default: {
        // Anything else that starts an expression; the rest is a stray token (FL0115).
        if (!startsExpression[this.next() + 1]) throw giveUp;
        const start = this.start();
        const expr = this.expression();
        return { kind: "ExprStmt", expr, span: this.spanAround(start, expr.span) };
      }
    }
  }

  private letStmt(): A.LetStmt {
    const start = this.start();
    this.i++;
    const name = this.expectName();
    let type: A.TypeExpr | null = null;
    if (this.next() === COLON) {
      this.i++;
      type = this.typeExpr();
    }
    this.expect(EQUALS);
    const value = this.expression();
    return { kind: "LetStmt", name: this.ident(name), type, value, span: this.span(start) };
  }

  /** What follows `if`: the condition, the branch, and an optional `else`. */
  private ifTail(start: number): A.IfStmt {
    this.enter(); // `else if` chains nest
    const cond = this.expression();
    const then = this.branch();
    let otherwise: A.Block | A.IfStmt | null = null;
    if (this.next() === KW_ELSE) {
      this.i++;
      if (this.next() === KW_IF) {
        const elseStart = this.start();
        this.i++;
        otherwise = this.ifTail(elseStart);
      } else otherwise = this.branch();
    } else if (isName[this.next() + 1] && elifWords.has(this.image(this.i))) throw giveUp; // `elif`: FL0110
    this.depth--;
    return { kind: "IfStmt", cond, then, else: otherwise, span: this.span(start) };
  }

  /** A branch is a block; one statement without braces is FL0110. */
  private branch(): A.Block {
    if (this.next() !== LBRACE) throw giveUp;
    return this.block();
  }

  /** `approve "name"` then `show`, `by`, `timeout` and `default`, each at most once, in any order. */
  private approveStmt(): A.ApproveStmt {
    const start = this.start();
    this.i++;
    const name = this.plainString();
    let show: A.Expr | null = null;
    let by: A.StringLit | null = null;
    let timeout: A.Expr | null = null;
    let fallback: A.ApproveStmt["default"] = null;
    for (;;) {
      const word = this.next();
      const following = this.la(2) + 1;
      if (word === CKW_SHOW) {
        if (!startsExpression[following]) throw giveUp;
        if (show !== null) throw giveUp; // given twice: FL0119
        this.i++;
        show = this.expression();
      } else if (word === CKW_BY) {
        if (!startsString[following] || by !== null) throw giveUp;
        this.i++;
        by = this.plainString();
      } else if (word === CKW_TIMEOUT) {
        if (!startsExpression[following] || timeout !== null) throw giveUp;
        this.i++;
        timeout = this.expression();
      } else if (word === CKW_DEFAULT) {
        if (!(following === KW_APPROVE + 1 || isName[following]) || fallback !== null) throw giveUp;
        this.i++;
        const token = this.i++;
        const value = this.image(token);
        // Only `approve` or `reject` (FL0110).
        if (value !== "approve" && value !== "reject") throw giveUp;
        fallback = { value, span: this.tokenSpan(token) };
      } else break;
    }
    // A default without a timeout is FL0123.
    if (fallback !== null && timeout === null) throw giveUp;
    return { kind: "ApproveStmt", name, show, by, timeout, default: fallback, span: this.span(start) };
  }

  // ──────────────────────────── expressions ────────────────────────────

  private expression(): A.Expr {
    this.enter();
    const expr = this.lambdaAhead() ? this.lambda() : this.binary();
    this.depth--;
    return expr;
  }

  /** `x =>`, `() =>`, `(a, b) =>`, as `lambdaAhead` in parser.ts. */
  private lambdaAhead(): boolean {
    if (isName[this.la(1) + 1]) return this.la(2) === FAT_ARROW;
    if (this.la(1) !== LPAREN) return false;
    let k = 2;
    if (this.la(k) === RPAREN) return this.la(k + 1) === FAT_ARROW;
    for (;;) {
      if (!isName[this.la(k) + 1]) return false;
      k++;
      if (this.la(k) === COMMA) {
        k++;
        if (this.la(k) === RPAREN) return this.la(k + 1) === FAT_ARROW;
        continue;
      }
      return this.la(k) === RPAREN && this.la(k + 1) === FAT_ARROW;
    }
  }

  private lambda(): A.LambdaExpr {
    const start = this.start();
    const params: A.Ident[] = [];
    if (this.next() === LPAREN) {
      this.i++;
      if (isName[this.next() + 1]) {
        params.push(this.ident(this.i++));
        while (this.next() === COMMA && isName[this.la(2) + 1]) {
          this.i++;
          params.push(this.ident(this.i++));
        }
        if (this.next() === COMMA) this.i++;
      }
      this.expect(RPAREN);
    } else params.push(this.ident(this.expectName()));
    this.expect(FAT_ARROW);
    const body = this.expression();
    return { kind: "LambdaExpr", params: exact(params), body, span: this.span(start) };
  }

  /** Operands and operators collected flat, then folded by precedence, as `binary` in parser.ts. */
  private binary(): A.Expr {
    const first = this.operand();
    if (!isBinaryOperator[this.next() + 1] && this.next() !== KW_AS) return first;
    const operands: A.Expr[] = [first];
    const operators: (number | A.TypeExpr)[] = [];
    if (this.next() !== KW_AS) {
      // One operator between two operands, the commonest case, needs no folding.
      if (!startsExpression[this.la(2) + 1]) throw giveUp;
      const op = this.i++;
      const second = this.operand();
      if (!isBinaryOperator[this.next() + 1] && this.next() !== KW_AS) {
        return { kind: "BinaryExpr", op: this.image(op) as A.BinaryOp, left: first, right: second, span: cover(first.span.start, second.span) };
      }
      operators.push(op);
      operands.push(second);
    }
    for (;;) {
      const t = this.next();
      if (isBinaryOperator[t + 1]) {
        if (!startsExpression[this.la(2) + 1]) throw giveUp;
        operators.push(this.i++);
        operands.push(this.operand());
      } else if (t === KW_AS) {
        if (!startsType[this.la(2) + 1]) throw giveUp;
        this.i++;
        operators.push(this.typeExpr());
      } else break;
      // Folding recurses once per operator at most: as deep as nesting.
      if (operators.length > maxDepth) throw giveUp;
    }
    // Casts bind tighter than every binary operator: apply them first.
    const values: A.Expr[] = [operands[0]!];
    const ops: number[] = [];
    let next = 1;
    for (const op of operators) {
      if (typeof op === "number") {
        ops.push(op);
        values.push(operands[next++]!);
      } else {
        const target = values.pop()!;
        values.push({ kind: "CastExpr", expr: target, type: op, span: cover(target.span.start, op.span) });
      }
    }
    return this.climb(values, ops, 0, ops.length, 0);
  }

  /** Where the last `climb` stopped: a field, so that each call need not return a pair. */
  private climbed = 0;

  /** Precedence climbing over values[from..] and ops[from..to), as `climb` in parser.ts; sets `climbed`. */
  private climb(values: A.Expr[], ops: number[], from: number, to: number, minPrecedence: number): A.Expr {
    let left = values[from]!;
    let i = from;
    let previousNonAssoc: A.BinaryOp | null = null;
    while (i < to) {
      const symbol = this.image(ops[i]!) as A.BinaryOp;
      const precedence = binaryPrecedence[symbol];
      if (precedence < minPrecedence) break;
      const assoc = associativity(symbol);
      // Two comparisons in a row: FL0117.
      if (assoc === "none" && previousNonAssoc !== null && binaryPrecedence[previousNonAssoc] === precedence) throw giveUp;
      const right = this.climb(values, ops, i + 1, to, assoc === "right" ? precedence : precedence + 1);
      left = { kind: "BinaryExpr", op: symbol, left, right, span: cover(left.span.start, right.span) };
      i = this.climbed;
      previousNonAssoc = assoc === "none" ? symbol : null;
    }
    this.climbed = i;
    return left;
  }

  /** Prefix operators, a primary, then field accesses and calls. */
  private operand(): A.Expr {
    let prefixes: number[] | undefined;
    while (this.next() === MINUS || this.next() === BANG) (prefixes ??= []).push(this.i++);
    let expr = this.primary();
    for (;;) {
      const t = this.next();
      if (t === DOT) {
        if (!isAnyName[this.la(2) + 1]) throw giveUp;
        this.i++;
        const field = this.i++;
        expr = { kind: "FieldExpr", object: expr, field: this.ident(field), span: this.span(expr.span.start) };
      } else if (t === LPAREN || t === LBRACKET) {
        // On a new line, `(` and `[` begin what comes next; on the same line `[` is indexing (FL0110).
        if (!this.sameLine()) break;
        if (t === LBRACKET) throw giveUp;
        const args = this.argList();
        expr = { kind: "CallExpr", callee: expr, args, span: this.span(expr.span.start) };
      } else break;
    }
    if (prefixes !== undefined) {
      for (let k = prefixes.length - 1; k >= 0; k--) {
        const op = prefixes[k]!;
        expr = { kind: "UnaryExpr", op: this.image(op) as A.UnaryOp, operand: expr, span: cover(this.starts[op]!, expr.span) };
      }
    }
    return expr;
  }

  private argList(): A.Arg[] {
    this.i++;
    const args: A.Arg[] = this.commaSeparated(startsExpression, this.arg);
    this.expect(RPAREN);
    return args;
  }

  private arg(): A.Arg {
    const start = this.start();
    let name: A.Ident | null = null;
    if (this.la(2) === COLON && isName[this.next() + 1]) {
      name = this.ident(this.i++);
      this.i++;
    }
    const value = this.expression();
    return { kind: "Arg", name, value, span: name === null ? this.spanAround(start, value.span) : this.span(start) };
  }

  private primary(): A.Expr {
    const t = this.next();
    switch (t) {
      case NUMBER_LITERAL:
      case MONEY_LITERAL:
        return this.numeric();
      case QUOTE:
      case TRIPLE_QUOTE:
        return this.stringLiteral();
      case KW_TRUE:
      case KW_FALSE: {
        const k = this.i++;
        return { kind: "BoolLit", value: t === KW_TRUE, span: this.tokenSpan(k) };
      }
      case KW_NULL:
        return { kind: "NullLit", span: this.tokenSpan(this.i++) };
      case LPAREN: {
        this.i++;
        const inner = this.expression();
        this.expect(RPAREN);
        return inner;
      }
      case LBRACE:
        return this.recordExpr();
      case LBRACKET:
        return this.listExpr();
      case KW_FOR:
        return this.forExpr();
      case KW_WAIT:
        return this.waitSignal();
      default: {
        if (!isName[t + 1]) throw giveUp;
        const k = this.i++;
        return { kind: "NameExpr", name: this.image(k), span: this.tokenSpan(k) };
      }
    }
  }

  private numeric(): A.NumberLit | A.QuantityLit {
    const t = this.next();
    if (t !== NUMBER_LITERAL && t !== MONEY_LITERAL) throw giveUp;
    const k = this.i++;
    const raw = this.image(k);
    // `2 hours`: a unit word after a plain number on the same line is FL0104.
    if (isName[this.next() + 1] && unitForWord(this.image(this.i)) !== undefined && this.sameLine() && plainDigits.test(raw)) throw giveUp;
    const span = this.tokenSpan(k);
    const meaning = numericMeaning(raw);
    switch (meaning.kind) {
      case "number":
        return { kind: "NumberLit", raw, value: meaning.value, integer: meaning.integer, span };
      case "quantity":
        return { kind: "QuantityLit", raw, dimension: meaning.dimension, value: meaning.value, span };
      case "error":
        throw giveUp; // FL0104, FL0105
    }
  }

  private recordExpr(): A.RecordExpr {
    const start = this.start();
    this.i++;
    const fields: A.RecordField[] = this.commaSeparated(startsRecordField, this.recordField);
    this.expect(RBRACE);
    return { kind: "RecordExpr", fields, span: this.span(start) };
  }

  private recordField(): A.RecordField {
    const start = this.start();
    const name = this.expectAnyName();
    this.expect(COLON);
    const value = this.expression();
    return { kind: "RecordField", name: this.ident(name), value, span: this.span(start) };
  }

  private listExpr(): A.ListExpr {
    const start = this.start();
    this.i++;
    const items: A.Expr[] = this.commaSeparated(startsExpression, this.expression);
    this.expect(RBRACKET);
    return { kind: "ListExpr", items, span: this.span(start) };
  }

  private forExpr(): A.ForExpr {
    const start = this.start();
    this.i++;
    const binding = this.expectName();
    this.expect(KW_IN);
    const iterable = this.expression();
    let concurrency: A.Expr | null = null;
    let tolerate: A.Expr | null = null;
    let limit: A.Expr | null = null;
    for (;;) {
      const word = this.next();
      if (word !== CKW_CONCURRENCY && word !== CKW_TOLERATE && word !== CKW_LIMIT) break;
      if (!startsExpression[this.la(2) + 1]) throw giveUp;
      this.i++;
      const value = this.expression();
      // Each at most once (FL0119).
      if (word === CKW_CONCURRENCY) {
        if (concurrency !== null) throw giveUp;
        concurrency = value;
      } else if (word === CKW_TOLERATE) {
        if (tolerate !== null) throw giveUp;
        tolerate = value;
      } else {
        if (limit !== null) throw giveUp;
        limit = value;
      }
    }
    const body = this.block();
    return { kind: "ForExpr", binding: this.ident(binding), iterable, concurrency, tolerate, limit, body, span: this.span(start) };
  }

  private waitSignal(): A.WaitSignalExpr {
    const start = this.start();
    this.i++;
    this.expect(CKW_SIGNAL);
    const name = this.plainString();
    this.expect(ARROW);
    const type = this.typeExpr();
    let timeout: A.Expr | null = null;
    if (this.next() === CKW_TIMEOUT) {
      if (!startsExpression[this.la(2) + 1]) throw giveUp;
      this.i++;
      timeout = this.expression();
    }
    return { kind: "WaitSignalExpr", name, type, timeout, span: this.span(start) };
  }

  // ───────────────────────────── strings ─────────────────────────────

  /** A string with no interpolation (FL0110 otherwise). */
  private plainString(): A.StringLit {
    const literal = this.stringLiteral();
    for (const part of literal.parts) if (part.kind === "InterpolationPart") throw giveUp;
    return literal;
  }

  /** `"…"` or `"""…"""`; a string in other quotes is FL0110. */
  private stringLiteral(): A.StringLit {
    const start = this.start();
    const open = this.next();
    if (open !== QUOTE && open !== TRIPLE_QUOTE) throw giveUp;
    if (open === QUOTE) {
      // Most strings are `""` or one run of text: the parts `buildPlainString` would build, built directly.
      if (this.la(2) === QUOTE_CLOSE) {
        this.i += 2;
        return { kind: "StringLit", block: false, parts: [], span: this.span(start) };
      }
      if (this.la(2) === STRING_TEXT && this.la(3) === QUOTE_CLOSE) {
        const k = this.i + 1;
        this.i += 3;
        const value = this.image(k);
        return { kind: "StringLit", block: false, parts: [{ kind: "TextPart", value, span: this.tokenSpan(k) }], span: this.span(start) };
      }
    }
    const openEnd = this.ends[this.i++]!;
    const pieces: RawPiece[] = [];
    for (;;) {
      const t = this.next();
      if (t === STRING_TEXT || t === BLOCK_TEXT || t === DOLLAR) {
        const k = this.i++;
        pieces.push({ kind: "text", raw: this.image(k), start: this.starts[k]! });
      } else if (t === ESCAPE) {
        const k = this.i++;
        pieces.push({ kind: "escape", raw: this.image(k), start: this.starts[k]! });
      } else if (t === INTERPOLATION_START) {
        const at = this.starts[this.i++]!;
        const expr = this.expression();
        this.expect(RBRACE);
        pieces.push({ kind: "interpolation", expr, span: this.span(at) });
      } else break;
    }
    // A `"` string ended by the end of its line is FL0102; escapes and block layout have their own problems.
    this.expect(open === QUOTE ? QUOTE_CLOSE : TRIPLE_QUOTE_CLOSE);
    const built = open === QUOTE ? buildPlainString(pieces) : buildBlockString(pieces, openEnd);
    if (built.problems.length > 0) throw giveUp;
    return { kind: "StringLit", block: open === TRIPLE_QUOTE, parts: exact(built.parts), span: this.span(start) };
  }

  // ────────────────────────────── types ──────────────────────────────

  private typeExpr(): A.TypeExpr {
    this.enter();
    const start = this.start();
    const first = this.optionalType();
    this.depth--;
    if (this.next() !== PIPE) return first;
    const members: A.TypeExpr[] = [first];
    while (this.next() === PIPE) {
      if (!startsType[this.la(2) + 1]) throw giveUp;
      this.i++;
      members.push(this.optionalType());
    }
    return { kind: "UnionType", members: exact(members), span: this.span(start) };
  }

  private optionalType(): A.TypeExpr {
    const start = this.start();
    const inner = this.typeAtom();
    // `string[]` on the type's line is FL0113.
    if (this.next() === LBRACKET && this.la(2) === RBRACKET && this.sameLine()) throw giveUp;
    if (this.next() !== QUESTION) return inner;
    this.i++;
    return { kind: "OptionalType", inner, span: this.span(start) };
  }

  private typeAtom(): A.TypeExpr {
    const t = this.next();
    if (isName[t + 1]) return this.namedType();
    switch (t) {
      case QUOTE:
      case TRIPLE_QUOTE: {
        const literal = this.plainString();
        return { kind: "LiteralType", value: literal.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join(""), span: literal.span };
      }
      case LBRACE:
        return this.recordType();
      case LPAREN:
        return this.parenthesizedOrFunctionType();
      default:
        throw giveUp;
    }
  }

  /** `(T)` is `T`; `(T) -> U` is a function type; `()` and tuples are FL0113. */
  private parenthesizedOrFunctionType(): A.TypeExpr {
    const start = this.start();
    this.i++;
    const params: A.TypeExpr[] = this.commaSeparated(startsType, this.typeExpr);
    this.expect(RPAREN);
    if (this.next() === ARROW) {
      this.i++;
      const result = this.typeExpr();
      return { kind: "FunctionType", params, result, span: this.span(start) };
    }
    if (params.length !== 1) throw giveUp;
    return params[0]!;
  }

  /** A type's name; `List` may take `<T>` or `<T, max N>`. */
  private namedType(): A.TypeExpr {
    const start = this.start();
    const name = this.i++;
    const written = this.image(name);
    if (written === "List" && this.next() === LESS) {
      if (!startsType[this.la(2) + 1]) throw giveUp;
      this.i++;
      const element = this.typeExpr();
      let max: A.NumberLit | A.Ident | null = null;
      if (this.next() === COMMA) {
        if (this.la(2) !== CKW_MAX) throw giveUp;
        this.i += 2;
        if (isName[this.next() + 1]) max = this.ident(this.i++);
        else {
          const bound = this.numeric();
          // A bound is a whole number (FL0113).
          if (bound.kind !== "NumberLit" || !bound.integer) throw giveUp;
          max = bound;
        }
      }
      this.expect(GREATER);
      return { kind: "ListType", element, max, span: this.span(start) };
    }
    // `Map<string>`: type arguments on another name are FL0113.
    if (
      this.next() === LESS &&
      capitalised.test(written) &&
      isAnyName[this.la(2) + 1] &&
      (this.la(3) === GREATER || this.la(3) === COMMA)
    )
      throw giveUp;
    const ident = this.ident(name);
    return { kind: "NamedType", name: ident, span: this.spanAround(start, ident.span) };
  }

  private recordType(): A.RecordType {
    const start = this.start();
    this.i++;
    const fields: A.RecordTypeField[] = this.commaSeparated(startsRecordField, this.recordTypeField);
    this.expect(RBRACE);
    return { kind: "RecordType", fields, span: this.span(start) };
  }

  private recordTypeField(): A.RecordTypeField {
    const start = this.start();
    const name = this.expectAnyName();
    this.expect(COLON);
    const type = this.typeExpr();
    return { kind: "RecordTypeField", name: this.ident(name), type, span: this.span(start) };
  }
}

/**
 * The list without spare room. An array grown by `push` keeps room for
 * about 16 more items, and the tree's lists, mostly of one or two items,
 * live as long as the tree: trimmed, the tree of a large program takes a
 * tenth less memory, which the garbage collector would copy and mark.
 */
function exact<T>(items: T[]): T[] {
  return items.length === 0 ? items : items.slice();
}

/** The span from `start` (where one part begins) to the end of another. */
function cover(start: number, to: Span): Span {
  return { start, end: Math.max(start, to.end) };
}

/** Far below where the full parser could run out of stack, far above what programs nest. */
const maxDepth = 100;

const elifWords = new Set(["elif", "elsif", "elseif"]);
const plainDigits = /^[\d.]+$/;
const capitalised = /^[A-Z]/;

// Token types by index, and sets of them as tables indexed by type + 1 (END, past the declaration, is -1).
const END = -1;

function tableOf(types: readonly number[]): Uint8Array {
  const table = new Uint8Array(Math.max(...T.allTokenTypes.map(idx)) + 2);
  for (const type of types) table[type + 1] = 1;
  return table;
}

const contextualKeywords = Object.values(T.Ckw).map(idx);
/** What `Identifier` matches in the grammar: identifiers and contextual keywords. */
const isName = tableOf([IDENTIFIER, ...contextualKeywords]);
/** What `AnyName` matches: names and reserved words. */
const isAnyName = tableOf([IDENTIFIER, ...contextualKeywords, ...Object.values(T.Kw).map(idx)]);
const isClauseKeyword = tableOf([CKW_EFFECTS, CKW_GRANTS, CKW_BUDGET, CKW_RETRY, CKW_TIMEOUT, CKW_GATE, CKW_SANDBOX, CKW_MODELS, CKW_TOOLS, CKW_PROMPT, CKW_COST]);
const isBinaryOperator = tableOf(
  [T.QuestionQuestion, T.OrOr, T.AndAnd, T.EqualEqual, T.BangEqual, T.LessEqual, T.GreaterEqual, T.Less, T.Greater, T.Plus, T.Minus, T.Star, T.Slash].map(idx),
);
const stringStarts = [QUOTE, TRIPLE_QUOTE, FOREIGN_STRING];
const startsName = isName;
const startsString = tableOf(stringStarts);
const startsRecordField = isAnyName;
/** The tokens an expression (or an argument) can start with. */
const startsExpression = tableOf([
  IDENTIFIER,
  ...contextualKeywords,
  MINUS,
  BANG,
  NUMBER_LITERAL,
  MONEY_LITERAL,
  ...stringStarts,
  KW_TRUE,
  KW_FALSE,
  KW_NULL,
  LPAREN,
  LBRACE,
  LBRACKET,
  KW_FOR,
  KW_WAIT,
]);
/** The tokens a type can start with. */
const startsType = tableOf([IDENTIFIER, ...contextualKeywords, ...stringStarts, LBRACE, LPAREN]);
