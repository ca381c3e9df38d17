import type { Span } from "./source-file.ts";

/**
 * The syntax tree of one `.flow` file, built directly by the parser.
 *
 * Every node carries the span of the source it came from. Parentheses leave
 * no node: the printer puts back exactly those that precedence needs, so two
 * programs that differ only in redundant parentheses have the same tree.
 * Comments are not in the tree; the parser returns them beside it.
 */

export interface Program {
  readonly kind: "Program";
  readonly decls: readonly Decl[];
  readonly span: Span;
}

export interface Ident {
  readonly kind: "Ident";
  readonly name: string;
  readonly span: Span;
}

export interface Comment {
  readonly kind: "LineComment" | "BlockComment";
  /** The comment as written, including `//` or the delimiters. */
  readonly text: string;
  readonly span: Span;
}

// ───────────────────────────── declarations ─────────────────────────────

export type Decl = ImportDecl | TypeDecl | ModelsDecl | NodeDecl | AgentDecl | VerifierDecl | WorkflowDecl | FnDecl;

export interface ImportDecl {
  readonly kind: "ImportDecl";
  readonly names: readonly ImportName[];
  /** `"std/sandbox"` or a relative path such as `"./shared.flow"`. */
  readonly from: StringLit;
  readonly span: Span;
}

export interface ImportName {
  readonly kind: "ImportName";
  readonly name: Ident;
  readonly alias: Ident | null;
  readonly span: Span;
}

export interface TypeDecl {
  readonly kind: "TypeDecl";
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** `models careful = ["anthropic:claude-opus-4-7", …]`: a named failover route. */
export interface ModelsDecl {
  readonly kind: "ModelsDecl";
  readonly name: Ident;
  readonly models: readonly StringLit[];
  readonly span: Span;
}

export interface Param {
  readonly kind: "Param";
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** What nodes, agents, verifiers and workflows share: a typed signature and clauses. */
interface Callable {
  readonly name: Ident;
  readonly params: readonly Param[];
  readonly returnType: TypeExpr;
  readonly clauses: readonly Clause[];
  readonly span: Span;
}

export interface NodeDecl extends Callable {
  readonly kind: "NodeDecl";
  readonly body: Block;
}

/** An agent has no body: its clauses (`prompt`, `models`, `tools`) are the model loop. */
export interface AgentDecl extends Callable {
  readonly kind: "AgentDecl";
}

export interface VerifierDecl extends Callable {
  readonly kind: "VerifierDecl";
  readonly body: Block;
}

export interface WorkflowDecl extends Callable {
  readonly kind: "WorkflowDecl";
  readonly body: Block;
}

export type CallableDecl = NodeDecl | AgentDecl | VerifierDecl | WorkflowDecl;

/**
 * `fn sh(command: string, timeout: duration?) -> Shell effects { proc } cost { compute: timeout }`:
 * a standard-library function, implemented in TypeScript, declared here for
 * the checker. With an `effects` clause it is a step (journaled, run in the
 * sandbox); without, a pure function. Only `stdlib/` declares them.
 */
export interface FnDecl {
  readonly kind: "FnDecl";
  /** `git` in `fn git.diff()`: the name the function is reached through. */
  readonly namespace: Ident | null;
  readonly name: Ident;
  readonly typeParams: readonly TypeParam[];
  readonly params: readonly Param[];
  readonly returnType: TypeExpr;
  readonly clauses: readonly Clause[];
  readonly span: Span;
}

/** `T`, or `N: number` (a type variable limited to the numeric types). */
export interface TypeParam {
  readonly kind: "TypeParam";
  readonly name: Ident;
  readonly constraint: Ident | null;
  readonly span: Span;
}

// ──────────────────────────────── clauses ────────────────────────────────

export type Clause =
  | EffectsClause
  | GrantsClause
  | BudgetClause
  | RetryClause
  | TimeoutClause
  | GateClause
  | SandboxClause
  | ModelsClause
  | ToolsClause
  | PromptClause
  | CostClause;

export type ClauseKind = Clause["kind"];

/** `fs.read`, `proc`, `fs.write("pkgs/**")`, `net("registry.npmjs.org")`. */
export interface EffectRef {
  readonly kind: "EffectRef";
  /** The dotted name, e.g. `["fs", "write"]`. */
  readonly path: readonly Ident[];
  readonly scope: StringLit | null;
  readonly span: Span;
}

export interface EffectsClause {
  readonly kind: "EffectsClause";
  readonly effects: readonly EffectRef[];
  readonly span: Span;
}

export interface GrantsClause {
  readonly kind: "GrantsClause";
  readonly effects: readonly EffectRef[];
  readonly span: Span;
}

export interface BudgetEntry {
  readonly kind: "BudgetEntry";
  /** `tokens`, `usd`, `compute` or `wall`; the compiler checks which. */
  readonly key: Ident;
  readonly value: NumberLit | QuantityLit;
  readonly span: Span;
}

export interface BudgetClause {
  readonly kind: "BudgetClause";
  readonly entries: readonly BudgetEntry[];
  readonly span: Span;
}

/** `backoff exp(30s, cap 10m)`. */
export interface Backoff {
  readonly kind: "Backoff";
  /** `exp`, `linear` or `fixed`; the compiler checks which. */
  readonly strategy: Ident;
  readonly base: Expr;
  readonly cap: Expr | null;
  readonly span: Span;
}

/** `retry 3 backoff exp(30s, cap 10m) on [Timeout, Transient]`. */
export interface RetryClause {
  readonly kind: "RetryClause";
  readonly attempts: NumberLit;
  readonly backoff: Backoff | null;
  readonly on: readonly Ident[] | null;
  readonly span: Span;
}

export interface TimeoutClause {
  readonly kind: "TimeoutClause";
  readonly duration: Expr;
  readonly span: Span;
}

export interface GateClause {
  readonly kind: "GateClause";
  readonly name: StringLit;
  readonly span: Span;
}

export interface SandboxClause {
  readonly kind: "SandboxClause";
  readonly profile: StringLit;
  readonly span: Span;
}

/** `models careful` (a named route) or `models ["a", "b"]` (inline). */
export interface ModelsClause {
  readonly kind: "ModelsClause";
  readonly route: Ident | ListExpr;
  readonly span: Span;
}

/** `tools [sh, read_file, git.diff]`. */
export interface ToolsClause {
  readonly kind: "ToolsClause";
  readonly tools: readonly QualifiedName[];
  readonly span: Span;
}

export interface QualifiedName {
  readonly kind: "QualifiedName";
  readonly parts: readonly Ident[];
  readonly span: Span;
}

export interface PromptClause {
  readonly kind: "PromptClause";
  readonly text: StringLit;
  readonly span: Span;
}

/** `compute: timeout`: what bounds one call of a std function, a constant or one of its parameters. */
export interface CostEntry {
  readonly kind: "CostEntry";
  /** `tokens`, `usd`, `compute` or `wall`. */
  readonly key: Ident;
  readonly value: NumberLit | QuantityLit | Ident;
  readonly span: Span;
}

/** `cost { compute: timeout, wall: timeout }` on a std `fn`: its cost model. */
export interface CostClause {
  readonly kind: "CostClause";
  readonly entries: readonly CostEntry[];
  readonly span: Span;
}

// ────────────────────────────── statements ──────────────────────────────

export interface Block {
  readonly kind: "Block";
  readonly stmts: readonly Stmt[];
  readonly span: Span;
}

export type Stmt =
  | LetStmt
  | ExprStmt
  | ReturnStmt
  | IfStmt
  | CheckpointStmt
  | FailStmt
  | VerifyStmt
  | ApproveStmt
  | SleepStmt;

export interface LetStmt {
  readonly kind: "LetStmt";
  readonly name: Ident;
  readonly type: TypeExpr | null;
  readonly value: Expr;
  readonly span: Span;
}

/** A call for its effect, or (as the last statement of a `for` body) the item it yields. */
export interface ExprStmt {
  readonly kind: "ExprStmt";
  readonly expr: Expr;
  readonly span: Span;
}

export interface ReturnStmt {
  readonly kind: "ReturnStmt";
  readonly value: Expr;
  readonly span: Span;
}

export interface IfStmt {
  readonly kind: "IfStmt";
  readonly cond: Expr;
  readonly then: Block;
  /** `else { … }` or `else if …`. */
  readonly else: Block | IfStmt | null;
  readonly span: Span;
}

export interface CheckpointStmt {
  readonly kind: "CheckpointStmt";
  readonly label: StringLit;
  readonly span: Span;
}

/** `fail Conflict("the lockfile changed under us")`. */
export interface FailStmt {
  readonly kind: "FailStmt";
  readonly errorKind: Ident;
  readonly message: Expr;
  readonly span: Span;
}

/** `verify coverage_kept(migrations) else "coverage dropped below 80%"`. */
export interface VerifyStmt {
  readonly kind: "VerifyStmt";
  readonly check: Expr;
  readonly message: Expr;
  readonly span: Span;
}

export type GateDefault = "approve" | "reject";

/** `approve "merge" show migrations by "platform" timeout 7d default reject`. */
export interface ApproveStmt {
  readonly kind: "ApproveStmt";
  readonly name: StringLit;
  readonly show: Expr | null;
  readonly by: StringLit | null;
  readonly timeout: Expr | null;
  readonly default: { readonly value: GateDefault; readonly span: Span } | null;
  readonly span: Span;
}

export interface SleepStmt {
  readonly kind: "SleepStmt";
  readonly duration: Expr;
  readonly span: Span;
}

// ────────────────────────────── expressions ──────────────────────────────

export type Expr =
  | NumberLit
  | QuantityLit
  | StringLit
  | BoolLit
  | NullLit
  | NameExpr
  | RecordExpr
  | ListExpr
  | FieldExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | CastExpr
  | LambdaExpr
  | ForExpr
  | WaitSignalExpr
  | ErrorExpr;

export interface NumberLit {
  readonly kind: "NumberLit";
  /** As written: `3`, `0.80`. The printer keeps it. */
  readonly raw: string;
  readonly value: number;
  /** No decimal point: an `int`. */
  readonly integer: boolean;
  readonly span: Span;
}

export type Dimension = "tokens" | "duration" | "money" | "percent";

/** A number with a unit: `200k` tokens, `30s`, `$0.60`, `5%`. */
export interface QuantityLit {
  readonly kind: "QuantityLit";
  readonly raw: string;
  readonly dimension: Dimension;
  /**
   * In the dimension's base unit: a whole number of tokens, milliseconds,
   * US dollars, or a fraction for a percentage (`5%` is 0.05).
   */
  readonly value: number;
  readonly span: Span;
}

export type StringPart = TextPart | InterpolationPart;

export interface TextPart {
  readonly kind: "TextPart";
  /** The text with escapes applied and (in a block) indentation removed. */
  readonly value: string;
  readonly span: Span;
}

export interface InterpolationPart {
  readonly kind: "InterpolationPart";
  readonly expr: Expr;
  readonly span: Span;
}

export interface StringLit {
  readonly kind: "StringLit";
  /** `"…"` or `"""…"""`. */
  readonly block: boolean;
  /** Text and `${…}` parts in order; adjacent text parts are merged. */
  readonly parts: readonly StringPart[];
  readonly span: Span;
}

export interface BoolLit {
  readonly kind: "BoolLit";
  readonly value: boolean;
  readonly span: Span;
}

export interface NullLit {
  readonly kind: "NullLit";
  readonly span: Span;
}

export interface NameExpr {
  readonly kind: "NameExpr";
  readonly name: string;
  readonly span: Span;
}

export interface RecordField {
  readonly kind: "RecordField";
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

export interface RecordExpr {
  readonly kind: "RecordExpr";
  readonly fields: readonly RecordField[];
  readonly span: Span;
}

export interface ListExpr {
  readonly kind: "ListExpr";
  readonly items: readonly Expr[];
  readonly span: Span;
}

export interface FieldExpr {
  readonly kind: "FieldExpr";
  readonly object: Expr;
  readonly field: Ident;
  readonly span: Span;
}

export interface Arg {
  readonly kind: "Arg";
  /** `timeout: 1m` names its argument; positional arguments have null. */
  readonly name: Ident | null;
  readonly value: Expr;
  readonly span: Span;
}

export interface CallExpr {
  readonly kind: "CallExpr";
  readonly callee: Expr;
  readonly args: readonly Arg[];
  readonly span: Span;
}

export type UnaryOp = "!" | "-";

export interface UnaryExpr {
  readonly kind: "UnaryExpr";
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly span: Span;
}

export type BinaryOp = "??" | "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/";

export interface BinaryExpr {
  readonly kind: "BinaryExpr";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/** `report.total as float`: a checked conversion. */
export interface CastExpr {
  readonly kind: "CastExpr";
  readonly expr: Expr;
  readonly type: TypeExpr;
  readonly span: Span;
}

/** `m => m.coverage >= 0.8`, `(a, b) => a.score > b.score`. */
export interface LambdaExpr {
  readonly kind: "LambdaExpr";
  readonly params: readonly Ident[];
  readonly body: Expr;
  readonly span: Span;
}

/**
 * `for pkg in pkgs concurrency 12 tolerate 5% limit 100 { … }`: yields a
 * list in input order, one item per element, the value of the body's last
 * expression statement. In a node body it runs sequentially.
 */
export interface ForExpr {
  readonly kind: "ForExpr";
  readonly binding: Ident;
  readonly iterable: Expr;
  readonly concurrency: Expr | null;
  readonly tolerate: Expr | null;
  readonly limit: Expr | null;
  readonly body: Block;
  readonly span: Span;
}

/** `wait signal "go" -> Decision timeout 3d`. */
export interface WaitSignalExpr {
  readonly kind: "WaitSignalExpr";
  readonly name: StringLit;
  readonly type: TypeExpr;
  readonly timeout: Expr | null;
  readonly span: Span;
}

/** Stands where the parser recovered from a syntax error; never in a clean tree. */
export interface ErrorExpr {
  readonly kind: "ErrorExpr";
  readonly span: Span;
}

// ───────────────────────────────── types ─────────────────────────────────

export type TypeExpr = NamedType | ListType | RecordType | OptionalType | UnionType | LiteralType | FunctionType | ErrorType;

/** `string`, `int`, `Package`: primitives and declared types alike. */
export interface NamedType {
  readonly kind: "NamedType";
  readonly name: Ident;
  readonly span: Span;
}

/**
 * `List<T>` or `List<T, max 200>`. In std declarations the bound may be a
 * name: an `int` parameter (`take(xs, n) -> List<T, max n>`) or a size
 * variable shared between parameters and result (`map` keeps its input's bound).
 */
export interface ListType {
  readonly kind: "ListType";
  readonly element: TypeExpr;
  readonly max: NumberLit | Ident | null;
  readonly span: Span;
}

export interface RecordTypeField {
  readonly kind: "RecordTypeField";
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly span: Span;
}

export interface RecordType {
  readonly kind: "RecordType";
  readonly fields: readonly RecordTypeField[];
  readonly span: Span;
}

export interface OptionalType {
  readonly kind: "OptionalType";
  readonly inner: TypeExpr;
  readonly span: Span;
}

export interface UnionType {
  readonly kind: "UnionType";
  readonly members: readonly TypeExpr[];
  readonly span: Span;
}

/** A string literal used as a type: `"approve"`. */
export interface LiteralType {
  readonly kind: "LiteralType";
  readonly value: string;
  readonly span: Span;
}

/** `(T) -> bool`: the type of a lambda a std function takes. */
export interface FunctionType {
  readonly kind: "FunctionType";
  readonly params: readonly TypeExpr[];
  readonly result: TypeExpr;
  readonly span: Span;
}

export interface ErrorType {
  readonly kind: "ErrorType";
  readonly span: Span;
}
