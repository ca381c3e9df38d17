import type * as A from "../language/ast.ts";
import { closestName } from "../language/closest-name.ts";
import type { DiagnosticCode } from "../language/diagnostics/codes.ts";
import type { Diagnostic, Label } from "../language/diagnostics/diagnostic.ts";
import type { Span } from "../language/source-file.ts";
import { syntaxError } from "../language/syntax-error.ts";
import { type Effect, EffectSet, effectNames, isEffectName, listEffects, scopedEffects, showEffect } from "./effect-set.ts";
import { article, describe } from "./describe-binding.ts";
import type { Module, ModuleGraph } from "./modules.ts";
import type { Binding, NameResolution } from "./resolve-names.ts";

export interface EffectsResult {
  /**
   * For each node and verifier, the effects its body uses; for each agent,
   * `llm` and its tools' effects; for each workflow, what its `grants` allow.
   */
  readonly effects: ReadonlyMap<A.CallableDecl, EffectSet>;
  readonly diagnostics: Diagnostic[];
}

/**
 * The effects phase (grammar.md §9). A node's effects are inferred from the
 * steps its body calls and must be covered by its `effects` clause; an
 * agent's are `llm` and its tools'; a verifier may only read files; a
 * workflow's `grants` must cover what each node, agent, verifier and
 * sub-workflow it calls declares. Steps run only in nodes (and reading steps
 * in verifiers), never in lambdas; units of work are called from workflows
 * only. Each error names the call that needs the effect and the clause that
 * lacks it.
 */
export function checkEffects(graph: ModuleGraph, names: NameResolution): EffectsResult {
  return new EffectChecker(graph, names).run();
}

/** A declaration's `effects` (or a workflow's `grants`) clause, read. */
interface Declared {
  readonly clause: A.EffectsClause | A.GrantsClause | null;
  /** Each entry with the effect it counts as: null for one that names no effect, or that a verifier may not have. */
  readonly entries: readonly { readonly ref: A.EffectRef; readonly effect: Effect | null }[];
  readonly set: EffectSet;
  /**
   * False when an entry names no effect and none is close: what the clause
   * meant is unknown, so nothing is checked against it (FL0303 says why).
   * A misspelt entry with a close effect (`fs.reed`) counts as that effect.
   */
  readonly certain: boolean;
}

type Callee = { readonly kind: "step"; readonly fn: A.FnDecl } | { readonly kind: "unit"; readonly decl: A.CallableDecl; readonly module: string };

/** Where an expression stands: in the body of its declaration, or in one of its clauses (evaluated before any sandbox runs). */
interface Context {
  readonly module: Module;
  readonly decl: A.CallableDecl;
  readonly clause: A.Clause | null;
  /** Inside a lambda: the function it is passed to, when it is passed directly (`map`). */
  readonly lambda: { readonly owner: string | null } | null;
  /** The effects of the steps called, collected for a node's or verifier's inferred set. */
  readonly uses: Effect[];
  /** Calls needing effects the clause lacks (FL0301), reported after the body. */
  readonly uncovered: { readonly at: Span; readonly message: string; readonly label: string; readonly missing: readonly Effect[] }[];
}

interface Secondary {
  readonly span: Span;
  readonly label: string;
  /** The file it is in, when not the diagnostic's own. */
  readonly module?: Module;
}

/** Words from elsewhere for the effects flow names. */
const otherWords: Readonly<Record<string, string>> = {
  network: "net",
  http: "net",
  internet: "net",
  exec: "proc",
  shell: "proc",
  process: "proc",
  spawn: "proc",
  subprocess: "proc",
  model: "llm",
  ai: "llm",
  time: "clock",
  now: "clock",
  read: "fs.read",
  write: "fs.write",
  "fs.readwrite": "fs.write",
  file: "fs.read",
};

const effectList = `${effectNames
  .slice(0, -1)
  .map((n) => `\`${n}\``)
  .join(", ")} and \`${effectNames[effectNames.length - 1]}\``;

class EffectChecker {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly effects = new Map<A.CallableDecl, EffectSet>();
  private readonly declared = new Map<A.CallableDecl | A.FnDecl, Declared>();
  private readonly stepEffects = new Map<A.FnDecl, readonly Effect[]>();

  constructor(
    private readonly graph: ModuleGraph,
    private readonly names: NameResolution,
  ) {}

  run(): EffectsResult {
    const modules = [...this.graph.modules.values()];
    for (const module of modules) {
      for (const decl of module.parsed.program.decls) {
        if (decl.kind === "NodeDecl" || decl.kind === "AgentDecl" || decl.kind === "VerifierDecl" || decl.kind === "WorkflowDecl" || decl.kind === "FnDecl") {
          this.declared.set(decl, this.readClause(module, decl));
        }
      }
    }
    for (const module of modules) {
      for (const decl of module.parsed.program.decls) {
        switch (decl.kind) {
          case "NodeDecl":
          case "VerifierDecl":
          case "WorkflowDecl": {
            this.clauses(module, decl);
            const context: Context = { module, decl, clause: null, lambda: null, uses: [], uncovered: [] };
            this.block(decl.body, context);
            const inferred = EffectSet.of(context.uses);
            // Reported once the whole body is known, so that a declaration without a clause is shown the one it needs.
            for (const { at, message, label, missing } of context.uncovered) this.missingEffect(module, decl, at, missing, inferred, { message, label });
            this.effects.set(decl, decl.kind === "WorkflowDecl" ? this.declaredOf(decl).set : inferred);
            break;
          }
          case "AgentDecl":
            this.clauses(module, decl);
            this.effects.set(decl, this.agent(module, decl));
            break;
          default:
            break;
        }
      }
    }
    return { effects: this.effects, diagnostics: this.diagnostics };
  }

  // ─────────────────────────────── clauses ───────────────────────────────

  private declaredOf(decl: A.CallableDecl | A.FnDecl): Declared {
    return this.declared.get(decl)!;
  }

  /** A step's effects, in order: listed once per step, not at every call. Never changed by callers. */
  private effectsOf(fn: A.FnDecl): readonly Effect[] {
    let effects = this.stepEffects.get(fn);
    if (effects === undefined) this.stepEffects.set(fn, (effects = [...this.declaredOf(fn).set]));
    return effects;
  }

  /** Reads an `effects` or `grants` clause: FL0303 for what is not an effect, FL0305 for what a verifier may not have. */
  private readClause(module: Module, decl: A.CallableDecl | A.FnDecl): Declared {
    const clause = effectClause(decl);
    if (clause === null) return { clause, entries: [], set: EffectSet.empty, certain: true };
    let certain = true;
    const entries = clause.effects.map((ref) => {
      const effect = this.readEffect(module, ref);
      if (effect === undefined) certain = false;
      if (effect !== undefined && decl.kind === "VerifierDecl" && effect.name !== "fs.read") {
        this.verifierEffect(module, decl, ref, effect);
        return { ref, effect: null };
      }
      return { ref, effect: effect ?? null };
    });
    const set = EffectSet.of(entries.flatMap((e) => (e.effect === null ? [] : [e.effect])));
    return { clause, entries, set, certain };
  }

  /** The effect an entry counts as, or undefined when it names none and none is close. */
  private readEffect(module: Module, ref: A.EffectRef): Effect | undefined {
    const name = pathName(ref);
    const nameSpan: Span = { start: ref.path[0]!.span.start, end: ref.path[ref.path.length - 1]!.span.end };
    const scope = scopeText(ref);
    if (!isEffectName(name)) {
      const close = otherWords[name] ?? closestName(name, effectNames);
      const fsHint = name === "fs" ? "`fs.read` or `fs.write`" : undefined;
      this.report(module, "FL0303", nameSpan, {
        message: `\`${name}\` is not an effect`,
        label: close !== undefined ? `did you mean \`${close}\`?` : fsHint !== undefined ? `did you mean ${fsHint}?` : "unknown effect",
        help: `the effects are ${effectList}; \`fs.read\`, \`fs.write\` and \`net\` may take a scope, such as \`fs.write("pkgs/**")\` or \`net("registry.npmjs.org")\``,
      });
      if (close === undefined || !isEffectName(close)) return undefined;
      return { name: close, scope: scope !== null && scope !== "" && scopedEffects.has(close) ? scope : null };
    }
    if (scope === null) return { name, scope: null };
    const scopeSpan: Span = { start: nameSpan.end, end: ref.span.end };
    if (!scopedEffects.has(name)) {
      this.report(module, "FL0303", scopeSpan, {
        message: `\`${name}\` takes no scope`,
        label: "remove this scope",
        help: `write \`${name}\`; only \`fs.read\` and \`fs.write\` (a glob of paths, such as \`fs.write("pkgs/**")\`) and \`net\` (a host, such as \`net("registry.npmjs.org")\`) take a scope`,
      });
      return { name, scope: null };
    }
    if (scope === "") {
      this.report(module, "FL0303", scopeSpan, {
        message: `the scope of \`${name}\` is empty`,
        label: "an empty scope allows nothing",
        help: name === "net" ? "name a host, such as `net(\"registry.npmjs.org\")`, or write `net` for any host" : `give a glob of paths, such as \`${name}("pkgs/**")\`, or write \`${name}\` for the whole tree`,
      });
      return { name, scope: null };
    }
    return { name, scope };
  }

  private verifierEffect(module: Module, decl: A.VerifierDecl, ref: A.EffectRef, effect: Effect): void {
    this.report(module, "FL0305", ref.span, {
      message: `verifier \`${decl.name.name}\` declares \`${showEffect(effect)}\`, but a verifier may only read files`,
      label: "not allowed in a verifier",
      help:
        effect.name === "fs.write"
          ? "a verifier checks, it never changes anything: if it only reads files, declare `fs.read`; to write, use a node"
          : "a verifier is deterministic code that checks the values it is given and may read files (`fs.read`); run commands, use the network, a model or the clock in a node and pass the result to the verifier",
    });
  }

  /** The expressions in a declaration's clauses (`timeout`, `retry` backoff, `prompt`, an inline route), where no step or unit of work may be called. */
  private clauses(module: Module, decl: A.CallableDecl): void {
    for (const clause of decl.clauses) {
      const context: Context = { module, decl, clause, lambda: null, uses: [], uncovered: [] };
      switch (clause.kind) {
        case "RetryClause":
          if (clause.backoff !== null) {
            this.expr(clause.backoff.base, context);
            if (clause.backoff.cap !== null) this.expr(clause.backoff.cap, context);
          }
          break;
        case "TimeoutClause":
          this.expr(clause.duration, context);
          break;
        case "PromptClause":
          this.expr(clause.text, context);
          break;
        case "ModelsClause":
          if (clause.route.kind === "ListExpr") this.expr(clause.route, context);
          break;
        default:
          break;
      }
    }
  }

  // ──────────────────────────────── agents ────────────────────────────────

  /** `llm` for the model, and each tool's effects, each covered by the agent's `effects` clause. */
  private agent(module: Module, decl: A.AgentDecl): EffectSet {
    const declared = this.declaredOf(decl);
    const llm: Effect = { name: "llm", scope: null };
    const uses: Effect[] = [llm];
    const uncovered: Context["uncovered"] = [];
    if (declared.certain && !declared.set.coversSome(llm)) {
      const models = decl.clauses.find((c): c is A.ModelsClause => c.kind === "ModelsClause");
      uncovered.push({
        at: models?.span ?? decl.name.span,
        missing: [llm],
        message: `agent \`${decl.name.name}\` calls a model, which needs \`llm\``,
        label: models === undefined ? "calls a model, which needs `llm`" : "calling these models needs `llm`",
      });
    }
    for (const clause of decl.clauses) {
      if (clause.kind !== "ToolsClause") continue;
      for (const tool of clause.tools) {
        const binding = this.names.references.get(tool);
        const text = tool.parts.map((p) => p.name).join(".");
        if (binding === undefined || binding.kind === "unresolved") continue;
        if (binding.kind === "declaration" && binding.decl.kind === "FnDecl" && effectClause(binding.decl) !== null) {
          const needs = [...this.declaredOf(binding.decl).set];
          uses.push(...needs);
          const missing = declared.certain ? needs.filter((e) => !declared.set.coversSome(e)) : [];
          if (missing.length > 0) {
            uncovered.push({
              at: tool.span,
              missing,
              message: `agent \`${decl.name.name}\` has the tool \`${text}\`, which needs ${listEffects(missing)}`,
              label: `\`${text}\` needs ${listEffects(missing)}`,
            });
          }
          continue;
        }
        this.notATool(module, decl, tool, text, binding);
      }
    }
    const inferred = EffectSet.of(uses);
    for (const { at, message, label, missing } of uncovered) this.missingEffect(module, decl, at, missing, inferred, { message, label });
    return inferred;
  }

  private notATool(module: Module, agent: A.AgentDecl, tool: A.QualifiedName, text: string, binding: Binding): void {
    const what = describe(binding);
    const unit = binding.kind === "declaration" && binding.decl.kind !== "FnDecl" && binding.decl.kind !== "TypeDecl" && binding.decl.kind !== "ModelsDecl";
    const steps = "an agent's tools are std steps the model calls in its sandbox, such as `sh`, `read_file` and `grep`";
    let help = steps;
    if (unit) help = `${steps}; call \`${text}\` from the workflow and pass its result to \`${agent.name.name}\` as a parameter`;
    else if (binding.kind === "namespace") {
      const members = [...binding.members.values()].filter((f) => effectClause(f) !== null).map((f) => `\`${text}.${f.name.name}\``);
      help = `name the steps the model may call, each on its own: ${members.join(", ")}`;
    } else if (binding.kind === "declaration" && binding.decl.kind === "FnDecl") help = `${steps}; a pure function can be applied in the prompt instead: \`${"${"}${text}(…)}\``;
    this.report(module, "FL0308", tool.span, {
      message: `agent \`${agent.name.name}\` lists \`${text}\` as a tool, but it is ${article(what)}, not a step`,
      label: binding.kind === "namespace" ? "a namespace, not a step" : "not a step",
      help,
    });
  }

  // ───────────────────────────── bodies ─────────────────────────────

  private block(block: A.Block, context: Context): void {
    for (const stmt of block.stmts) this.stmt(stmt, context);
  }

  private stmt(stmt: A.Stmt, context: Context): void {
    switch (stmt.kind) {
      case "LetStmt":
        return this.expr(stmt.value, context);
      case "ExprStmt":
        return this.expr(stmt.expr, context);
      case "ReturnStmt":
        return this.expr(stmt.value, context);
      case "IfStmt":
        this.expr(stmt.cond, context);
        this.block(stmt.then, context);
        if (stmt.else?.kind === "Block") this.block(stmt.else, context);
        else if (stmt.else !== null) this.stmt(stmt.else, context);
        return;
      case "FailStmt":
        return this.expr(stmt.message, context);
      case "VerifyStmt":
        this.expr(stmt.check, context);
        return this.expr(stmt.message, context);
      case "ApproveStmt":
        if (stmt.show !== null) this.expr(stmt.show, context);
        if (stmt.timeout !== null) this.expr(stmt.timeout, context);
        return;
      case "SleepStmt":
        return this.expr(stmt.duration, context);
      case "CheckpointStmt":
        return;
    }
  }

  private expr(expr: A.Expr, context: Context): void {
    switch (expr.kind) {
      case "CallExpr": {
        this.call(expr, context);
        this.expr(expr.callee, context);
        for (const arg of expr.args) {
          // The callee's name only matters to a lambda: worked out for those.
          if (arg.value.kind === "LambdaExpr") this.expr(arg.value.body, { ...context, lambda: { owner: calleeText(expr.callee) } });
          else this.expr(arg.value, context);
        }
        return;
      }
      case "LambdaExpr":
        return this.expr(expr.body, { ...context, lambda: { owner: null } });
      case "StringLit":
        for (const part of expr.parts) if (part.kind === "InterpolationPart") this.expr(part.expr, context);
        return;
      case "RecordExpr":
        for (const field of expr.fields) this.expr(field.value, context);
        return;
      case "ListExpr":
        for (const item of expr.items) this.expr(item, context);
        return;
      case "FieldExpr":
        return this.expr(expr.object, context);
      case "UnaryExpr":
        return this.expr(expr.operand, context);
      case "BinaryExpr":
        this.expr(expr.left, context);
        return this.expr(expr.right, context);
      case "CastExpr":
        return this.expr(expr.expr, context);
      case "ForExpr":
        this.expr(expr.iterable, context);
        if (expr.concurrency !== null) this.expr(expr.concurrency, context);
        if (expr.tolerate !== null) this.expr(expr.tolerate, context);
        if (expr.limit !== null) this.expr(expr.limit, context);
        return this.block(expr.body, context);
      case "WaitSignalExpr":
        if (expr.timeout !== null) this.expr(expr.timeout, context);
        return;
      case "NameExpr":
      case "NumberLit":
      case "QuantityLit":
      case "BoolLit":
      case "NullLit":
      case "ErrorExpr":
        return;
    }
  }

  private callee(expr: A.Expr): Callee | undefined {
    if (expr.kind !== "NameExpr" && expr.kind !== "FieldExpr") return undefined;
    const binding = this.names.references.get(expr);
    if (binding?.kind !== "declaration") return undefined;
    const decl = binding.decl;
    switch (decl.kind) {
      case "FnDecl":
        // A std function with an `effects` clause is a step; without one it is pure. (The clause was read in `run`.)
        return this.declaredOf(decl).clause === null ? undefined : { kind: "step", fn: decl };
      case "NodeDecl":
      case "AgentDecl":
      case "VerifierDecl":
      case "WorkflowDecl":
        return { kind: "unit", decl, module: binding.module };
      default:
        return undefined;
    }
  }

  private call(call: A.CallExpr, context: Context): void {
    const callee = this.callee(call.callee);
    if (callee === undefined) return;
    if (callee.kind === "step") this.stepCall(call.callee, callee.fn, context);
    else this.unitCall(call.callee, callee, context);
  }

  private stepCall(at: A.Expr, fn: A.FnDecl, context: Context): void {
    const { module, decl } = context;
    const needs = this.effectsOf(fn);
    // Most calls are fine: the names for the messages are worked out only for a problem.
    const problem = context.clause !== null || context.lambda !== null || decl.kind === "WorkflowDecl" || (decl.kind === "VerifierDecl" && needs.some((e) => e.name !== "fs.read"));
    if (!problem) {
      context.uses.push(...needs);
      const declared = this.declaredOf(decl);
      if (!declared.certain || needs.every((e) => declared.set.coversSome(e))) return;
    }
    const text = calleeText(at) ?? fn.name.name;
    const who = `${kindWord(decl)} \`${decl.name.name}\``;
    if (context.clause !== null) {
      this.report(module, "FL0306", at.span, {
        message: `${who} calls the step \`${text}\` in its \`${clauseWord(context.clause)}\` clause, but steps run only in a node's sandbox`,
        label: "a step in a clause",
        help: "clauses are evaluated before any sandbox runs: call it in a node and pass its result as a parameter",
      });
      return;
    }
    if (context.lambda !== null) {
      const where = context.lambda.owner === null ? "a lambda" : `the lambda passed to \`${context.lambda.owner}\``;
      this.report(module, "FL0304", at.span, {
        message: `${who} calls the step \`${text}\` in ${where}, but a lambda must be pure`,
        label: `\`${text}\` needs ${listEffects(needs)}`,
        help:
          decl.kind === "WorkflowDecl"
            ? `steps run in nodes: put \`${text}\` in a node and fan out over it with \`for\``
            : `use a \`for\` loop instead: its body may call steps, one item after another (\`for x in xs { ${text}(x) }\`)`,
      });
      return;
    }
    if (decl.kind === "WorkflowDecl") {
      this.report(module, "FL0306", at.span, {
        message: `${who} calls the step \`${text}\` directly, but steps run only in a node's sandbox`,
        label: `\`${text}\` needs ${listEffects(needs)}`,
        help: `move it into a node with \`effects ${EffectSet.of(needs)}\` and call the node from the workflow`,
      });
      return;
    }
    if (decl.kind === "VerifierDecl" && needs.some((e) => e.name !== "fs.read")) {
      this.report(module, "FL0306", at.span, {
        message: `${who} calls the step \`${text}\`, which needs ${listEffects(needs)}, but a verifier may only read files`,
        label: `\`${text}\` needs ${listEffects(needs)}`,
        help: `run \`${text}\` in a node and pass its result to the verifier as a parameter`,
      });
      return;
    }
    const declared = this.declaredOf(decl);
    const missing = declared.certain ? needs.filter((e) => !declared.set.coversSome(e)) : [];
    if (missing.length === 0) return;
    context.uncovered.push({ at: at.span, missing, message: `${who} calls \`${text}\`, which needs ${listEffects(missing)}`, label: `\`${text}\` needs ${listEffects(missing)}` });
  }

  private unitCall(at: A.Expr, callee: Extract<Callee, { kind: "unit" }>, context: Context): void {
    const { module, decl } = context;
    const target = callee.decl;
    // The usual call, from a workflow body, granted all it needs: nothing to say, so no names to work out.
    if (context.clause === null && decl.kind === "WorkflowDecl" && context.lambda === null) {
      const grants = this.declaredOf(decl);
      const needs = this.declaredOf(target);
      if (!grants.certain || !needs.certain || grants.set.coversAll(needs.set)) return;
    }
    const text = calleeText(at) ?? target.name.name;
    const who = `${kindWord(decl)} \`${decl.name.name}\``;
    const whom = `${kindWord(target)} \`${text}\``;
    if (context.clause !== null) {
      this.report(module, "FL0307", at.span, {
        message: `${who} calls ${whom} in its \`${clauseWord(context.clause)}\` clause, but nodes, agents, verifiers and workflows are called from workflow bodies only`,
        label: `\`${text}\` is ${article(kindWord(target))}`,
        help: `call \`${text}\` in the workflow and pass its result as a parameter`,
      });
      return;
    }
    if (decl.kind !== "WorkflowDecl") {
      const why = decl.kind === "NodeDecl" ? "a node is one sandbox session; call both from the workflow" : `a verifier only checks the values it is given; call \`${text}\` from the workflow`;
      this.report(module, "FL0307", at.span, {
        message: `${who} calls ${whom}, but ${why}`,
        label: `\`${text}\` is ${article(kindWord(target))}`,
        help: `call \`${text}\` from the workflow and pass its result to \`${decl.name.name}\` as a parameter`,
      });
      return;
    }
    if (context.lambda !== null) {
      const where = context.lambda.owner === null ? "a lambda" : `the lambda passed to \`${context.lambda.owner}\``;
      this.report(module, "FL0304", at.span, {
        message: `${who} calls ${whom} in ${where}, but a lambda must be pure`,
        label: `${article(kindWord(target))} call in a lambda`,
        help: `fan out with \`for\` instead: \`for x in xs { ${text}(x) }\``,
      });
      return;
    }
    const grants = this.declaredOf(decl);
    const needs = this.declaredOf(target);
    if (!grants.certain || !needs.certain) return;
    const missing = grants.set.missing(needs.set);
    if (missing.length === 0) return;
    const calleeModule = this.graph.modules.get(callee.module);
    const declares = target.kind === "WorkflowDecl" ? "is granted" : "declares";
    const secondary: Secondary[] = [grants.clause === null ? { span: decl.name.span, label: `\`${decl.name.name}\` grants nothing` } : { span: grants.clause.span, label: `these grants lack ${listEffects(missing)}` }];
    for (const entry of needs.entries) {
      if (entry.effect === null || grants.set.covers(entry.effect)) continue;
      secondary.push({ span: entry.ref.span, label: `\`${target.name.name}\` ${declares} \`${showEffect(entry.effect)}\` here`, ...(calleeModule !== module && calleeModule !== undefined ? { module: calleeModule } : {}) });
    }
    this.report(module, "FL0302", at.span, {
      message: `${who} calls ${whom}, which needs ${listEffects(missing)}, but ${grants.clause === null ? "the workflow has no grants clause" : `its grants ${missing.length === 1 ? "do not allow it" : "do not allow them"}`}`,
      label: `\`${text}\` needs ${listEffects(missing)}`,
      secondary,
      help:
        grants.clause === null
          ? `give \`${decl.name.name}\` a grants clause: \`${suggestClause("grants", grants, module, missing)}\``
          : `add ${listEffects(missing)} to the grants: \`${suggestClause("grants", grants, module, missing)}\``,
    });
  }

  /**
   * FL0301: a step, a tool or a model needs effects the declaration's
   * `effects` clause lacks. Without a clause, the help shows the one that
   * `inferred`, everything the declaration uses, needs.
   */
  private missingEffect(module: Module, decl: A.CallableDecl, at: Span, missing: readonly Effect[], inferred: EffectSet, text: { message: string; label: string }): void {
    const declared = this.declaredOf(decl);
    const noClause = declared.clause === null;
    const secondary: Secondary[] = [];
    if (!noClause) secondary.push({ span: declared.clause!.span, label: `this clause lacks ${listEffects(missing)}` });
    else if (at.start !== decl.name.span.start) secondary.push({ span: decl.name.span, label: `\`${decl.name.name}\` declares no effects` });
    const suggestion = suggestClause("effects", declared, module, noClause ? [...inferred] : missing);
    this.report(module, "FL0301", at, {
      message: `${text.message}, but ${noClause ? `the ${kindWord(decl)} has no effects clause` : `its effects clause lacks ${missing.length === 1 ? "it" : "them"}`}`,
      label: text.label,
      secondary,
      help: noClause ? `give \`${decl.name.name}\` an effects clause covering all it uses: \`${suggestion}\`` : `add ${listEffects(missing)} to the effects clause: \`${suggestion}\``,
    });
  }

  private report(module: Module, code: DiagnosticCode, span: Span, text: { message: string; label: string; help: string; secondary?: readonly Secondary[] }): void {
    const here = (text.secondary ?? []).filter((s) => s.module === undefined || s.module === module);
    const elsewhere: Label[] = (text.secondary ?? []).flatMap((s) =>
      s.module === undefined || s.module === module ? [] : [{ span: { file: s.module.path, start: s.span.start, end: s.span.end }, label: s.label }],
    );
    const diagnostic = syntaxError(module.source, code, span, { message: text.message, label: text.label, help: text.help, secondary: here });
    this.diagnostics.push(elsewhere.length === 0 ? diagnostic : { ...diagnostic, secondary: [...diagnostic.secondary, ...elsewhere] });
  }
}

// ─────────────────────────────── helpers ───────────────────────────────

function effectClause(decl: A.CallableDecl | A.FnDecl): A.EffectsClause | A.GrantsClause | null {
  const kind = decl.kind === "WorkflowDecl" ? "GrantsClause" : "EffectsClause";
  return decl.clauses.find((c): c is A.EffectsClause | A.GrantsClause => c.kind === kind) ?? null;
}

function pathName(ref: A.EffectRef): string {
  return ref.path.map((p) => p.name).join(".");
}

/** The scope string of an entry (a constant string: the grammar allows no interpolation), or null. */
function scopeText(ref: A.EffectRef): string | null {
  if (ref.scope === null) return null;
  return ref.scope.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
}

/** `sh`, `git.diff`: a callee as written, or null when it is not a name. */
function calleeText(expr: A.Expr): string | null {
  if (expr.kind === "NameExpr") return expr.name;
  if (expr.kind === "FieldExpr" && expr.object.kind === "NameExpr") return `${expr.object.name}.${expr.field.name}`;
  return null;
}

/**
 * The clause as it would be with `add`: its entries as written, those that
 * `add` makes redundant dropped (`fs.read` when adding `fs.write`), in the
 * order of `effectNames`.
 */
function suggestClause(keyword: "effects" | "grants", declared: Declared, module: Module, add: readonly Effect[]): string {
  const adding = EffectSet.of(add);
  const order = (effect: Effect | null) => (effect === null ? effectNames.length : effectNames.indexOf(effect.name));
  const items = [
    ...declared.entries.filter((e) => e.effect === null || !adding.covers(e.effect)).map((e) => ({ order: order(e.effect), text: module.source.text.slice(e.ref.span.start, e.ref.span.end) })),
    ...add.map((e) => ({ order: order(e), text: showEffect(e) })),
  ].sort((a, b) => a.order - b.order);
  return `${keyword} { ${items.map((i) => i.text).join(", ")} }`;
}

const kindWords: Readonly<Record<A.CallableDecl["kind"], string>> = { NodeDecl: "node", AgentDecl: "agent", VerifierDecl: "verifier", WorkflowDecl: "workflow" };

function kindWord(decl: A.CallableDecl): string {
  return kindWords[decl.kind];
}

function clauseWord(clause: A.Clause): string {
  switch (clause.kind) {
    case "RetryClause":
      return "retry";
    case "TimeoutClause":
      return "timeout";
    case "PromptClause":
      return "prompt";
    case "ModelsClause":
      return "models";
    default:
      return clause.kind.replace(/Clause$/, "").toLowerCase();
  }
}
