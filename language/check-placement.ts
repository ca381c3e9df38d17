import { forEachStatementPart, forEachSubExpression, type StatementParts } from "./sub-expressions.ts";
import type { Block, CallableDecl, Clause, ClauseKind, Decl, Expr, FnDecl, Program, Stmt } from "./ast.ts";
import type { Diagnostic } from "./diagnostics/diagnostic.ts";
import type { SourceFile } from "./source-file.ts";
import { syntaxError } from "./syntax-error.ts";

/**
 * Which clauses and statements may appear where. The grammar accepts any
 * clause after any signature and any statement in any body, so that a
 * misplaced one is reported by name ("`approve` is only allowed in a
 * workflow") instead of as an unexpected token.
 */
type DeclKind = CallableDecl["kind"] | FnDecl["kind"];

const clauseWord: Record<ClauseKind, string> = {
  EffectsClause: "effects",
  GrantsClause: "grants",
  BudgetClause: "budget",
  RetryClause: "retry",
  TimeoutClause: "timeout",
  GateClause: "gate",
  SandboxClause: "sandbox",
  ModelsClause: "models",
  ToolsClause: "tools",
  PromptClause: "prompt",
  CostClause: "cost",
};

const allowedClauses: Record<DeclKind, readonly ClauseKind[]> = {
  NodeDecl: ["EffectsClause", "BudgetClause", "RetryClause", "TimeoutClause", "GateClause", "SandboxClause"],
  AgentDecl: [
    "ModelsClause",
    "ToolsClause",
    "PromptClause",
    "EffectsClause",
    "BudgetClause",
    "RetryClause",
    "TimeoutClause",
    "GateClause",
    "SandboxClause",
  ],
  VerifierDecl: ["EffectsClause", "BudgetClause", "TimeoutClause"],
  WorkflowDecl: ["GrantsClause", "BudgetClause", "TimeoutClause"],
  FnDecl: ["EffectsClause", "CostClause"],
};

const declWord: Record<DeclKind, string> = {
  NodeDecl: "a node",
  AgentDecl: "an agent",
  VerifierDecl: "a verifier",
  WorkflowDecl: "a workflow",
  FnDecl: "a std `fn`",
};

export type BodyKind = "workflow" | "node" | "verifier" | "clause";

const statementWord: Partial<Record<Stmt["kind"], string>> = {
  CheckpointStmt: "checkpoint",
  FailStmt: "fail",
  VerifyStmt: "verify",
  ApproveStmt: "approve",
  SleepStmt: "sleep",
};

const allowedIn: Record<string, readonly BodyKind[]> = {
  checkpoint: ["node"],
  fail: ["node", "workflow"],
  verify: ["workflow"],
  approve: ["workflow"],
  sleep: ["workflow"],
  "wait signal": ["workflow"],
};

/** The keywords that begin what a body of this kind may not hold (`wait` of `wait signal`): a body without them has nothing misplaced. */
export function keywordsNotAllowedIn(body: BodyKind): string[] {
  return Object.entries(allowedIn)
    .filter(([, where]) => !where.includes(body))
    .map(([what]) => what.split(" ")[0]!);
}

const whyNot: Record<string, string> = {
  checkpoint: "a checkpoint saves a node's progress inside its sandbox; workflows are checkpointed at every vertex already",
  fail: "a verifier answers with its verdict: return `false` instead",
  verify: "`verify` is a workflow step; inside a node, check the value and `fail` with a message",
  approve: "a human gate holds the whole run, so it stands in the workflow; to gate one node's result, give the node a `gate \"name\"` clause",
  sleep: "durable timers park the whole run, so they stand in the workflow",
  "wait signal": "a run parks while it waits for a signal, so `wait signal` stands in the workflow",
};

/**
 * The placement problems of a program. `mayMisplace` says of a
 * declaration whether its body may hold something misplaced: the parser,
 * which has the tokens, answers no for one without any of the
 * `keywordsNotAllowedIn` its body, and that body needs no walk.
 */
export function checkPlacement(program: Program, source: SourceFile, mayMisplace: (decl: Decl) => boolean = () => true): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const statements = new StatementPlacement(source, diagnostics);

  for (const decl of program.decls) {
    if (decl.kind === "FnDecl") checkClauses(decl, source, diagnostics);
    if (decl.kind !== "NodeDecl" && decl.kind !== "AgentDecl" && decl.kind !== "VerifierDecl" && decl.kind !== "WorkflowDecl") {
      continue;
    }
    checkClauses(decl, source, diagnostics);
    // Clauses are evaluated before the body runs, outside any workflow step.
    statements.body = "clause";
    for (const clause of decl.clauses) for (const expr of clauseExpressions(clause)) statements.expr(expr);
    if (decl.kind === "AgentDecl" || !mayMisplace(decl)) continue;
    statements.body = decl.kind === "WorkflowDecl" ? "workflow" : decl.kind === "NodeDecl" ? "node" : "verifier";
    statements.block(decl.body);
  }
  return diagnostics;
}

function clauseExpressions(clause: Clause): readonly Expr[] {
  switch (clause.kind) {
    case "RetryClause":
      return clause.backoff === null ? [] : [clause.backoff.base, ...(clause.backoff.cap === null ? [] : [clause.backoff.cap])];
    case "TimeoutClause":
      return [clause.duration];
    case "PromptClause":
      return [clause.text];
    case "ModelsClause":
      return clause.route.kind === "ListExpr" ? clause.route.items : [];
    case "EffectsClause":
    case "GrantsClause":
    case "BudgetClause":
    case "GateClause":
    case "SandboxClause":
    case "ToolsClause":
    case "CostClause":
      return [];
  }
}

function checkClauses(decl: CallableDecl | FnDecl, source: SourceFile, out: Diagnostic[]): void {
  // The clauses taken so far: a declaration has a handful, so a list searched is cheaper than a map per declaration.
  const first: Clause[] = [];
  for (const clause of decl.clauses) {
    const word = clauseWord[clause.kind];
    if (!allowedClauses[decl.kind].includes(clause.kind)) {
      const allowed = allowedClauses[decl.kind].map((k) => `\`${clauseWord[k]}\``).join(", ");
      out.push(
        syntaxError(source, "FL0118", keywordOf(clause), {
          message: `\`${word}\` is not a clause of ${declWord[decl.kind]}`,
          label: `not allowed on ${declWord[decl.kind]}`,
          help: `${declWord[decl.kind]} takes ${allowed}${clause.kind === "EffectsClause" && decl.kind === "WorkflowDecl" ? "; a workflow says what its nodes may touch with `grants { … }`" : ""}`,
          secondary: [{ span: decl.name.span, label: `${declWord[decl.kind]} declared here` }],
        }),
      );
      continue;
    }
    const earlier = first.find((c) => c.kind === clause.kind);
    if (earlier !== undefined) {
      const merges = clause.kind === "EffectsClause" || clause.kind === "GrantsClause" || clause.kind === "BudgetClause" || clause.kind === "ToolsClause";
      out.push(
        syntaxError(source, "FL0119", keywordOf(clause), {
          message: `\`${word}\` is given twice on \`${decl.name.name}\``,
          label: "the second one",
          secondary: [{ span: { start: earlier.span.start, end: earlier.span.start + word.length }, label: "first given here" }],
          help: merges ? "merge them into one clause" : "keep one",
        }),
      );
      continue;
    }
    if (clause.kind === "ModelsClause" && clause.route.kind === "ListExpr") {
      for (const item of clause.route.items) {
        if (item.kind === "StringLit" && item.parts.every((p) => p.kind === "TextPart")) continue;
        out.push(
          syntaxError(source, "FL0110", item.span, {
            message: "a model route lists model ids as constant strings",
            label: "not a model id",
            help: 'write ids such as `"anthropic:claude-sonnet-4-5"`, or name a route declared with `models NAME = [...]`',
          }),
        );
      }
    }
    first.push(clause);
  }
}

/** The span of a clause's keyword, for a problem with the clause: made only then, as most clauses are where they belong. */
function keywordOf(clause: Clause): { start: number; end: number } {
  return { start: clause.span.start, end: clause.span.start + clauseWord[clause.kind].length };
}

function misplaced(word: string, at: { start: number }, body: BodyKind, source: SourceFile, out: Diagnostic[]): void {
  const allowed = allowedIn[word];
  if (allowed === undefined || allowed.includes(body)) return;
  const where = allowed.map((k) => `a ${k}`).join(" or ");
  const here = body === "clause" ? "in a clause" : `in a ${body}`;
  out.push(
    syntaxError(source, "FL0120", { start: at.start, end: at.start + word.length }, {
      message: `\`${word}\` is only allowed in ${where}, not ${here}`,
      label: `not allowed ${here}`,
      help: whyNot[word] ?? `move it into ${where}`,
    }),
  );
}

/**
 * The statements and `wait signal`s of one body (or clause) against what
 * that body allows, walking every expression: `for` bodies hold statements
 * too. One walker serves the whole file, `body` set for each body, so that
 * the walk allocates nothing per expression.
 */
class StatementPlacement implements StatementParts {
  body: BodyKind = "clause";
  private readonly visit = (expr: Expr): void => this.expr(expr);

  constructor(
    private readonly source: SourceFile,
    private readonly out: Diagnostic[],
  ) {}

  block(block: Block): void {
    for (const stmt of block.stmts) this.stmt(stmt);
  }

  stmt(stmt: Stmt): void {
    const word = statementWord[stmt.kind];
    if (word !== undefined) misplaced(word, stmt.span, this.body, this.source, this.out);
    forEachStatementPart(stmt, this);
  }

  expr(expr: Expr): void {
    if (expr.kind === "WaitSignalExpr") {
      misplaced("wait signal", expr.span, this.body, this.source, this.out);
      return;
    }
    forEachSubExpression(expr, this.visit);
    if (expr.kind === "ForExpr") this.block(expr.body);
  }
}
