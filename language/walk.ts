import type * as A from "./ast.ts";

/** Every kind of node in the syntax tree. */
export type SyntaxNode =
  | A.Program
  | A.Ident
  | A.Decl
  | A.ImportName
  | A.Param
  | A.TypeParam
  | A.Clause
  | A.EffectRef
  | A.BudgetEntry
  | A.Backoff
  | A.QualifiedName
  | A.CostEntry
  | A.Block
  | A.Stmt
  | A.Expr
  | A.StringPart
  | A.RecordField
  | A.Arg
  | A.TypeExpr
  | A.RecordTypeField;

/**
 * Calls `visit` on each node directly inside `node`, in source order. The
 * whole-tree walks (placement, nesting depth, failure kinds, a workflow's
 * data dependencies) use it instead of a reflective `for (key in node)`:
 * on a large program that loop, over every key of every node, spans
 * included, was a sizeable share of checking time. A child that recovery
 * left out (null or undefined) is skipped, as the reflective walk did.
 */
export function forEachChild(node: SyntaxNode, visit: (child: SyntaxNode) => void): void {
  // The commonest kinds first: a switch on strings tests its cases in order.
  switch (node.kind) {
    case "Ident":
    case "NumberLit":
    case "QuantityLit":
    case "TextPart":
    case "BoolLit":
    case "NullLit":
    case "NameExpr":
    case "ErrorExpr":
    case "LiteralType":
    case "ErrorType":
      return;
    case "CallExpr":
      one(node.callee, visit);
      return each(node.args, visit);
    case "Arg":
      one(node.name, visit);
      return one(node.value, visit);
    case "FieldExpr":
      one(node.object, visit);
      return one(node.field, visit);
    case "StringLit":
      return each(node.parts, visit);
    case "InterpolationPart":
      return one(node.expr, visit);
    case "NamedType":
      return one(node.name, visit);
    case "Program":
      return each(node.decls, visit);
    case "ImportDecl":
      each(node.names, visit);
      return one(node.from, visit);
    case "ImportName":
      one(node.name, visit);
      return one(node.alias, visit);
    case "TypeDecl":
      one(node.name, visit);
      return one(node.type, visit);
    case "ModelsDecl":
      one(node.name, visit);
      return each(node.models, visit);
    case "Param":
      one(node.name, visit);
      return one(node.type, visit);
    case "NodeDecl":
    case "VerifierDecl":
    case "WorkflowDecl":
      one(node.name, visit);
      each(node.params, visit);
      one(node.returnType, visit);
      each(node.clauses, visit);
      return one(node.body, visit);
    case "AgentDecl":
      one(node.name, visit);
      each(node.params, visit);
      one(node.returnType, visit);
      return each(node.clauses, visit);
    case "FnDecl":
      one(node.namespace, visit);
      one(node.name, visit);
      each(node.typeParams, visit);
      each(node.params, visit);
      one(node.returnType, visit);
      return each(node.clauses, visit);
    case "TypeParam":
      one(node.name, visit);
      return one(node.constraint, visit);
    case "EffectRef":
      each(node.path, visit);
      return one(node.scope, visit);
    case "EffectsClause":
    case "GrantsClause":
      return each(node.effects, visit);
    case "BudgetEntry":
      one(node.key, visit);
      return one(node.value, visit);
    case "BudgetClause":
    case "CostClause":
      return each(node.entries, visit);
    case "Backoff":
      one(node.strategy, visit);
      one(node.base, visit);
      return one(node.cap, visit);
    case "RetryClause":
      one(node.attempts, visit);
      one(node.backoff, visit);
      return each(node.on, visit);
    case "TimeoutClause":
      return one(node.duration, visit);
    case "GateClause":
      return one(node.name, visit);
    case "SandboxClause":
      return one(node.profile, visit);
    case "ModelsClause":
      return one(node.route, visit);
    case "ToolsClause":
      return each(node.tools, visit);
    case "QualifiedName":
      return each(node.parts, visit);
    case "PromptClause":
      return one(node.text, visit);
    case "CostEntry":
      one(node.key, visit);
      return one(node.value, visit);
    case "Block":
      return each(node.stmts, visit);
    case "LetStmt":
      one(node.name, visit);
      one(node.type, visit);
      return one(node.value, visit);
    case "ExprStmt":
      return one(node.expr, visit);
    case "ReturnStmt":
      return one(node.value, visit);
    case "IfStmt":
      one(node.cond, visit);
      one(node.then, visit);
      return one(node.else, visit);
    case "CheckpointStmt":
      return one(node.label, visit);
    case "FailStmt":
      one(node.errorKind, visit);
      return one(node.message, visit);
    case "VerifyStmt":
      one(node.check, visit);
      return one(node.message, visit);
    case "ApproveStmt":
      // `default` holds a word and a span, no node.
      one(node.name, visit);
      one(node.show, visit);
      one(node.by, visit);
      return one(node.timeout, visit);
    case "SleepStmt":
      return one(node.duration, visit);
    case "RecordField":
      one(node.name, visit);
      return one(node.value, visit);
    case "RecordExpr":
      return each(node.fields, visit);
    case "ListExpr":
      return each(node.items, visit);
    case "UnaryExpr":
      return one(node.operand, visit);
    case "BinaryExpr":
      one(node.left, visit);
      return one(node.right, visit);
    case "CastExpr":
      one(node.expr, visit);
      return one(node.type, visit);
    case "LambdaExpr":
      each(node.params, visit);
      return one(node.body, visit);
    case "ForExpr":
      one(node.binding, visit);
      one(node.iterable, visit);
      one(node.concurrency, visit);
      one(node.tolerate, visit);
      one(node.limit, visit);
      return one(node.body, visit);
    case "WaitSignalExpr":
      one(node.name, visit);
      one(node.type, visit);
      return one(node.timeout, visit);
    case "ListType":
      one(node.element, visit);
      return one(node.max, visit);
    case "RecordTypeField":
      one(node.name, visit);
      return one(node.type, visit);
    case "RecordType":
      return each(node.fields, visit);
    case "OptionalType":
      return one(node.inner, visit);
    case "UnionType":
      return each(node.members, visit);
    case "FunctionType":
      each(node.params, visit);
      return one(node.result, visit);
    default:
      return unreachable(node);
  }
}

function one(child: SyntaxNode | null | undefined, visit: (child: SyntaxNode) => void): void {
  if (child !== null && child !== undefined) visit(child);
}

function each(children: readonly (SyntaxNode | null | undefined)[] | null | undefined, visit: (child: SyntaxNode) => void): void {
  if (children === null || children === undefined) return;
  for (let i = 0; i < children.length; i++) one(children[i], visit);
}

/** Adding a node kind to ast.ts without a case above is a type error here. */
function unreachable(node: never): void {
  void node;
}
