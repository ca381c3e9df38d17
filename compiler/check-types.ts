import type * as A from "../language/ast.ts";
import { closestName, editDistance } from "../language/closest-name.ts";
import { numericMeaning } from "../language/quantities.ts";
import type { DiagnosticCode } from "../language/diagnostics/codes.ts";
import type { Diagnostic } from "../language/diagnostics/diagnostic.ts";
import type { Span } from "../language/source-file.ts";
import { syntaxError } from "../language/syntax-error.ts";
import { Instantiation } from "./instantiate.ts";
import { repeatedFields } from "./repeated-fields.ts";
import type { Module, ModuleGraph } from "./modules.ts";
import type { Binding, NameResolution } from "./resolve-names.ts";
import { hasVariables, signatureOf, type Signature } from "./signatures.ts";
import { AnnotationTypes } from "./type-of-annotation.ts";
import * as T from "./types.ts";

export interface TypeResult {
  /**
   * The types the later phases read: of each `for`'s list (its bound is a
   * fan-out's width), of each argument of a call of a node, agent,
   * verifier or workflow (the value that crosses into it), of what an `as`
   * converts (from `json` it is validated, else converted) and of the
   * operands of `/` (two `int`s divide to an `int`). Only these: a map of
   * every expression's type, some 180,000 in a 100,000-line program, took
   * 70 ms of its check to fill.
   */
  readonly types: ReadonlyMap<A.Expr, T.Type>;
  /** The signature of every node, agent, verifier, workflow and std function. */
  readonly signatures: ReadonlyMap<A.CallableDecl | A.FnDecl, Signature>;
  /** For each call, the signature it calls (node calls are the workflow's vertices). */
  readonly calls: ReadonlyMap<A.CallExpr, CallTarget>;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Checks the types of a program whose names resolved: every expression,
 * call, return and clause, bidirectionally (what a place expects flows into
 * record and list literals and lambdas, so `m => m.coverage` knows `m`).
 * No implicit conversions: `int` widens to `float`, literals are strings,
 * and everything else takes an explicit, checked `as`.
 */
export function checkTypes(graph: ModuleGraph, names: NameResolution): TypeResult {
  const annotations = new AnnotationTypes(names.references);
  const signatures = new Map<A.CallableDecl | A.FnDecl, Signature>();
  const targets = new Map<A.CallableDecl | A.FnDecl, CallTarget>();
  for (const module of graph.modules.values()) {
    for (const decl of module.parsed.program.decls) {
      if (decl.kind === "NodeDecl" || decl.kind === "AgentDecl" || decl.kind === "VerifierDecl" || decl.kind === "WorkflowDecl" || decl.kind === "FnDecl") {
        const signature = signatureOf(decl, annotations);
        signatures.set(decl, signature);
        targets.set(decl, { decl, signature });
      }
    }
  }
  const shared: Shared = { names, annotations, signatures, targets, types: new Map(), calls: new Map(), diagnostics: [] };
  for (const module of graph.modules.values()) {
    const checker = new ModuleChecker(module, shared);
    for (const decl of module.parsed.program.decls) checker.decl(decl);
  }
  // Problems in written types surface wherever the type is first resolved: report them in its own file.
  const declOwner = new Map<A.Decl, Module>();
  if (annotations.problems.length > 0) for (const module of graph.modules.values()) for (const decl of module.parsed.program.decls) declOwner.set(decl, module);
  for (const problem of annotations.problems) {
    const module = problem.decl === undefined ? undefined : declOwner.get(problem.decl);
    const owner = module ?? [...graph.modules.values()].find((m) => m.parsed.program.decls.some((d) => contains(d.span, problem.span)))!;
    shared.diagnostics.push(syntaxError(owner.source, problem.code, problem.span, problem));
  }
  const unique = new Map(shared.diagnostics.map((d) => [`${d.code} ${d.primary.span.file} ${d.primary.span.start} ${d.message}`, d]));
  return { types: shared.types, signatures, calls: shared.calls, diagnostics: [...unique.values()] };
}

function contains(outer: Span, inner: Span): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

/** What a call calls: one object per declaration, shared by all its calls. */
export interface CallTarget {
  readonly decl: A.CallableDecl | A.FnDecl;
  readonly signature: Signature;
}

interface Shared {
  readonly names: NameResolution;
  readonly annotations: AnnotationTypes;
  readonly signatures: ReadonlyMap<A.CallableDecl | A.FnDecl, Signature>;
  readonly targets: ReadonlyMap<A.CallableDecl | A.FnDecl, CallTarget>;
  readonly types: Map<A.Expr, T.Type>;
  readonly calls: Map<A.CallExpr, CallTarget>;
  readonly diagnostics: Diagnostic[];
}

/** What a place expects, and how to say so: "the 2nd argument of `f`, `pkg`, expects `Package`". */
interface Expectation {
  readonly type: T.Type;
  /**
   * Read only when a problem is reported. Most places build it with
   * `T.show` from the types involved: as a function, that is done for the
   * few values that do not fit, not for every value checked.
   */
  readonly says: string | (() => string);
  readonly help?: string;
}

/**
 * What the `index`th parameter of a call expects. A class, with `says` a
 * getter, because every argument of every call is checked against one:
 * read only for a problem, its sentence costs nothing to the others.
 */
class ArgumentExpectation implements Expectation {
  constructor(
    readonly type: T.Type,
    private readonly signature: Signature,
    private readonly index: number,
  ) {}

  get says(): string {
    return `the ${ordinal(this.index)} argument of \`${this.signature.name}\`, \`${this.signature.params[this.index]!.name}\`, expects \`${T.show(this.type)}\``;
  }
}

type Text = { message: string; label: string; help?: string; secondary?: readonly { span: Span; label: string }[] };

/** `1st`, `2nd`, `3rd`, `4th`, … `11th`, `12th`, `13th`, … `21st`, `22nd`: the item at index i. */
const ordinal = (i: number): string => {
  const n = i + 1;
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
};

const backoffStrategies = ["exp", "linear", "fixed"];

class ModuleChecker {
  // The types of a declaration's own names, cleared for each: a name never refers into another
  // declaration, and many small maps are much cheaper to fill than one large one.
  private readonly letTypes = new Map<A.LetStmt, T.Type>();
  private readonly forTypes = new Map<A.ForExpr, T.Type>();
  private readonly lambdaTypes = new Map<A.LambdaExpr, readonly T.Type[]>();
  private readonly paramTypes = new Map<A.Param, T.Type>();
  /** Paths (`a.verdict.credential`) known not to be null here, innermost scope last; a scope that knows none has no set. */
  private readonly narrowed: (Set<string> | undefined)[] = [];
  private current: { readonly decl: A.CallableDecl; readonly signature: Signature } | undefined;

  constructor(
    private readonly module: Module,
    private readonly shared: Shared,
  ) {}

  // ───────────────────────────── declarations ─────────────────────────────

  decl(decl: A.Decl): void {
    switch (decl.kind) {
      case "ImportDecl":
      case "ModelsDecl":
        return;
      case "TypeDecl":
        this.shared.annotations.declared(decl);
        return;
      case "FnDecl":
        return this.fn(decl);
      case "NodeDecl":
      case "AgentDecl":
      case "VerifierDecl":
      case "WorkflowDecl":
        return this.callable(decl);
    }
  }

  /** A std function's cost model names its own `duration` parameters. */
  private fn(decl: A.FnDecl): void {
    const signature = this.shared.signatures.get(decl)!;
    for (const clause of decl.clauses) {
      if (clause.kind !== "CostClause") continue;
      for (const entry of clause.entries) {
        if (entry.value.kind !== "Ident") continue;
        const param = signature.params.find((p) => p.name === (entry.value as A.Ident).name);
        const type = param?.type.kind === "optional" ? param.type.inner : param?.type;
        if (type?.kind === "primitive" && type.name === "duration") continue;
        this.report("FL0210", entry.value.span, {
          message: `a cost is a constant or a \`duration\` parameter, and \`${entry.value.name}\` is ${param === undefined ? "not a parameter" : `\`${T.show(param.type)}\``}`,
          label: "not a duration parameter",
          help: "write a constant such as `1m`, or name a parameter of type `duration` or `duration?`",
        });
      }
    }
  }

  private callable(decl: A.CallableDecl): void {
    // Clearing a map allocates it a new table, even an empty one: most declarations have no `for` or lambda.
    for (const names of [this.letTypes, this.forTypes, this.lambdaTypes, this.paramTypes]) if (names.size > 0) names.clear();
    const signature = this.shared.signatures.get(decl)!;
    decl.params.forEach((p, i) => this.paramTypes.set(p, signature.params[i]!.type));
    this.current = { decl, signature };
    if (decl.kind === "VerifierDecl" && !isVerdict(signature.result)) {
      this.report("FL0218", decl.returnType.span, {
        message: `a verifier answers with \`bool\` or a verdict record with \`ok: bool\`, and \`${decl.name.name}\` returns \`${T.show(signature.result)}\``,
        label: "not a verdict",
        help: "return `bool`, or a record such as `{ ok: bool, reasons: List<string, max 20> }`",
      });
    }
    for (const clause of decl.clauses) this.clause(clause);
    if (decl.kind !== "AgentDecl") {
      this.block(decl.body, false);
      if (!alwaysExits(decl.body)) {
        const end = decl.body.span.end;
        this.report("FL0220", { start: end - 1, end }, {
          message: `\`${decl.name.name}\` returns \`${T.show(signature.result)}\`, but its body may reach its end without \`return\``,
          label: "the body can end here without `return`",
          help: "end every path through the body with `return …` (or `fail Kind(\"…\")`)",
          secondary: [{ span: decl.returnType.span, label: "the declared result" }],
        });
      }
    }
    this.current = undefined;
  }

  private clause(clause: A.Clause): void {
    switch (clause.kind) {
      case "TimeoutClause":
        this.check(clause.duration, { type: T.duration, says: "a timeout is a `duration`", help: "write a duration such as `30m` or `2h`" });
        return;
      case "RetryClause": {
        const backoff = clause.backoff;
        if (backoff === null) return;
        const strategy = backoff.strategy.name;
        if (!backoffStrategies.includes(strategy)) {
          // `exponential` for `exp`: a longer spelling is no typo, but it is what was meant.
          const close = closestName(strategy, backoffStrategies) ?? backoffStrategies.find((b) => strategy.toLowerCase().startsWith(b));
          this.report("FL0224", backoff.strategy.span, {
            message: `\`${strategy}\` is not a backoff`,
            label: close === undefined ? "unknown backoff" : `did you mean \`${close}\`?`,
            help: "backoffs are `exp(base, cap max)`, `linear(step, cap max)` and `fixed(delay)`",
          });
        }
        this.check(backoff.base, { type: T.duration, says: "a backoff's delay is a `duration`" });
        if (backoff.cap !== null) this.check(backoff.cap, { type: T.duration, says: "a backoff's cap is a `duration`" });
        return;
      }
      case "PromptClause":
        this.infer(clause.text);
        return;
      case "EffectsClause":
      case "GrantsClause":
      case "BudgetClause":
      case "GateClause":
      case "SandboxClause":
      case "ModelsClause":
      case "ToolsClause":
      case "CostClause":
        return;
    }
  }

  // ────────────────────────────── statements ──────────────────────────────

  /** Checks a block; returns the type of its last expression statement (what a `for` body yields), if `yields`. */
  private block(block: A.Block, yields: boolean): T.Type | undefined {
    this.narrowed.push(undefined);
    let yielded: T.Type | undefined;
    const stmts = block.stmts;
    for (let i = 0; i < stmts.length; i++) {
      const stmt = stmts[i]!;
      if (yields && i === stmts.length - 1 && stmt.kind === "ExprStmt") yielded = this.infer(stmt.expr, undefined, true);
      else this.stmt(stmt);
    }
    this.narrowed.pop();
    return yielded;
  }

  private stmt(stmt: A.Stmt): void {
    switch (stmt.kind) {
      case "LetStmt": {
        if (stmt.type === null) {
          this.letTypes.set(stmt, this.infer(stmt.value, undefined, true));
          return;
        }
        const declared = this.shared.annotations.typeOf(stmt.type, undefined);
        this.check(stmt.value, { type: declared, says: () => `\`${stmt.name.name}\` is declared \`${T.show(declared)}\`` });
        this.letTypes.set(stmt, declared);
        return;
      }
      case "ExprStmt":
        this.infer(stmt.expr, undefined, false);
        return;
      case "ReturnStmt": {
        const current = this.current!;
        this.check(stmt.value, { type: current.signature.result, says: () => `\`${current.decl.name.name}\` returns \`${T.show(current.signature.result)}\`` });
        return;
      }
      case "IfStmt":
        return this.ifStmt(stmt);
      case "CheckpointStmt":
        return;
      case "FailStmt":
        this.check(stmt.message, { type: T.string, says: "a failure's message is a `string`" });
        return;
      case "VerifyStmt": {
        const verdict = this.infer(stmt.check);
        if (!isVerdict(verdict)) {
          this.report("FL0210", stmt.check.span, {
            message: `\`verify\` needs a verdict (\`bool\` or a record with \`ok: bool\`), but this is \`${T.show(verdict)}\``,
            label: `this is \`${T.show(verdict)}\``,
            help: "call a verifier here: `verify coverage_kept(migrations) else \"…\"`",
          });
        }
        this.check(stmt.message, { type: T.string, says: "`verify`'s message is a `string`" });
        return;
      }
      case "ApproveStmt":
        if (stmt.show !== null) this.infer(stmt.show);
        if (stmt.timeout !== null) this.check(stmt.timeout, { type: T.duration, says: "a gate's timeout is a `duration`" });
        return;
      case "SleepStmt":
        this.check(stmt.duration, { type: T.duration, says: "`sleep` takes a `duration`", help: "write a duration such as `2h` or `7d`" });
        return;
    }
  }

  private ifStmt(stmt: A.IfStmt): void {
    // `if x == null { return … }`: below the `if`, `x` is not null.
    const proven = this.ifChain(stmt);
    if (proven.length === 0 || this.narrowed.length === 0) return;
    const scope = (this.narrowed[this.narrowed.length - 1] ??= new Set());
    for (const path of proven) scope.add(path);
  }

  /** Checks an `if` (and its `else if`s); returns the paths it proves not null below it. */
  private ifChain(stmt: A.IfStmt): string[] {
    this.check(stmt.cond, { type: T.bool, says: "a condition is a `bool`", help: "compare explicitly: `n > 0`, `s != \"\"`, `x != null`" });
    const { whenTrue, whenFalse } = this.nullChecks(stmt.cond);
    this.withNarrowed(whenTrue, () => this.block(stmt.then, false));
    let below: string[] = [];
    if (stmt.else !== null) {
      const otherwise = stmt.else;
      below = this.withNarrowed(whenFalse, () => (otherwise.kind === "Block" ? (this.block(otherwise, false), []) : this.ifChain(otherwise)));
    }
    const proven: string[] = [];
    // Past a branch that always exits, what the other branch's condition proves holds.
    if (alwaysExits(stmt.then)) proven.push(...whenFalse, ...below);
    if (stmt.else !== null && alwaysExitsStmt(stmt.else)) proven.push(...whenTrue);
    return proven;
  }

  private withNarrowed<R>(paths: readonly string[], run: () => R): R {
    this.narrowed.push(paths.length === 0 ? undefined : new Set(paths));
    try {
      return run();
    } finally {
      this.narrowed.pop();
    }
  }

  /** The paths a condition proves non-null when it is true, and when it is false. */
  private nullChecks(cond: A.Expr): { whenTrue: string[]; whenFalse: string[] } {
    if (cond.kind === "UnaryExpr" && cond.op === "!") {
      const inner = this.nullChecks(cond.operand);
      return { whenTrue: inner.whenFalse, whenFalse: inner.whenTrue };
    }
    if (cond.kind !== "BinaryExpr") return { whenTrue: [], whenFalse: [] };
    if (cond.op === "&&") {
      const l = this.nullChecks(cond.left);
      const r = this.nullChecks(cond.right);
      return { whenTrue: [...l.whenTrue, ...r.whenTrue], whenFalse: [] };
    }
    if (cond.op === "||") {
      const l = this.nullChecks(cond.left);
      const r = this.nullChecks(cond.right);
      return { whenTrue: [], whenFalse: [...l.whenFalse, ...r.whenFalse] };
    }
    if (cond.op !== "==" && cond.op !== "!=") return { whenTrue: [], whenFalse: [] };
    const subject = cond.right.kind === "NullLit" ? cond.left : cond.left.kind === "NullLit" ? cond.right : undefined;
    const path = subject === undefined ? undefined : this.pathOf(subject);
    if (path === undefined) return { whenTrue: [], whenFalse: [] };
    return cond.op === "!=" ? { whenTrue: [path], whenFalse: [] } : { whenTrue: [], whenFalse: [path] };
  }

  /** `a.verdict.credential` as a key for narrowing, rooted at what `a` is bound to. */
  private pathOf(expr: A.Expr): string | undefined {
    if (expr.kind === "NameExpr") {
      const binding = this.shared.names.references.get(expr);
      if (binding === undefined) return undefined;
      const at = bindingSite(binding);
      return at === undefined ? undefined : `${expr.name}@${at}`;
    }
    if (expr.kind === "FieldExpr") {
      const base = this.pathOf(expr.object);
      return base === undefined ? undefined : `${base}.${expr.field.name}`;
    }
    return undefined;
  }

  private isNarrowed(expr: A.Expr): boolean {
    const path = this.pathOf(expr);
    return path !== undefined && this.narrowed.some((scope) => scope?.has(path) === true);
  }

  // ────────────────────────────── expressions ──────────────────────────────

  /** Checks an expression against what its place expects; literals, lambdas and lists take the expectation in. */
  private check(expr: A.Expr, expected: Expectation): T.Type {
    const want = expected.type;
    const target = want.kind === "optional" ? want.inner : want;
    if (expr.kind === "RecordExpr" && target.kind === "record") return this.recordAgainst(expr, target, want, expected);
    if (expr.kind === "ListExpr" && target.kind === "list") {
      expr.items.forEach((item, i) => this.check(item, { type: target.element, says: () => `the ${ordinal(i)} item of this list must be \`${T.show(target.element)}\`` }));
      const type = T.list(target.element, { kind: "fixed", max: expr.items.length });
      this.compare(expr, type, expected);
      return type;
    }
    const actual = this.infer(expr, want, true);
    this.compare(expr, actual, expected);
    return actual;
  }

  private recordAgainst(expr: A.RecordExpr, target: T.RecordType, want: T.Type, expected: Expectation): T.Type {
    this.repeatedFields(expr);
    const fields: T.RecordField[] = [];
    // Shown only in messages: most record literals fit.
    const typeName = (): string => T.show(target);
    // Fields a misspelt one was taken for: `paht` is reported once, not also as `path` missing.
    const meant = new Set<string>();
    for (const f of expr.fields) {
      const wanted = T.field(target, f.name.name);
      if (wanted === undefined) {
        const close = closestName(
          f.name.name,
          target.fields.map((g) => g.name).filter((n) => !expr.fields.some((e) => e.name.name === n)),
        );
        if (close !== undefined) meant.add(close);
        this.report("FL0212", f.name.span, {
          message: `\`${typeName()}\` has no field \`${f.name.name}\``,
          label: close === undefined ? "no such field" : `did you mean \`${close}\`?`,
          help: `${saying(expected)}, whose fields are ${target.fields.map((g) => `\`${g.name}\``).join(", ")}`,
        });
        fields.push({ name: f.name.name, type: this.infer(f.value) });
        continue;
      }
      fields.push({ name: f.name.name, type: this.check(f.value, { type: wanted, says: () => `field \`${f.name.name}\` of \`${typeName()}\` expects \`${T.show(wanted)}\`` }) });
    }
    const missing = target.fields.filter((g) => g.type.kind !== "optional" && !meant.has(g.name) && !expr.fields.some((f) => f.name.name === g.name));
    if (missing.length > 0) {
      const list = missing.map((g) => `\`${g.name}: ${T.show(g.type)}\``).join(", ");
      this.report("FL0210", expr.span, {
        message: `this record lacks ${missing.length === 1 ? "the field" : "the fields"} ${list} of \`${typeName()}\``,
        label: `missing ${missing.map((g) => `\`${g.name}\``).join(", ")}`,
        help: saying(expected),
      });
    }
    // A record literal is never null, whatever the place allows.
    return target;
  }

  /** Reports a value of type `actual` where `expected` is wanted, saying why it does not fit. */
  private compare(expr: A.Expr, actual: T.Type, expected: Expectation): void {
    const problem = T.mismatch(actual, expected.type);
    if (problem === undefined) return;
    // `"pkg"` is shown as the `string` it is, unless literals are what the place takes.
    const literalWanted = [expected.type, expected.type.kind === "optional" ? expected.type.inner : expected.type].some((t) => t.kind === "literal" || t.kind === "union");
    const shown = T.show(literalWanted ? actual : T.widen(actual));
    if (problem.kind === "null") {
      this.report("FL0213", expr.span, {
        message: `${saying(expected)} but this is \`${shown}\`: it may be null`,
        label: "may be null",
        help: nullHelp(expr),
      });
      return;
    }
    // A misspelt literal: the message already shows it, the help says what was meant.
    const misspelt = problem.kind === "notMember" && actual.kind === "literal";
    const why = misspelt ? undefined : T.explain(problem);
    this.report("FL0210", expr.span, {
      message: `${saying(expected)} but this is \`${shown}\`${why === undefined ? "" : `: ${why}`}`,
      label: `this is \`${shown}\``,
      help: unitHint(expr, expected.type) ?? expected.help ?? conversionHint(actual, expected.type, problem),
    });
  }

  /** The type of an expression; `expected` only guides literals, lambdas and generic calls. `used`: its value is used. */
  private infer(expr: A.Expr, expected?: T.Type, used = true): T.Type {
    switch (expr.kind) {
      case "NumberLit":
        return expr.integer ? T.int : T.float;
      case "QuantityLit":
        return quantityTypes[expr.dimension];
      case "StringLit": {
        let constant = true;
        for (const part of expr.parts) {
          if (part.kind !== "InterpolationPart") continue;
          constant = false;
          const type = this.infer(part.expr);
          if (!T.isText(type) && type.kind !== "error") {
            const null_ = type.kind === "optional" || type.kind === "null";
            this.report(null_ ? "FL0213" : "FL0210", part.expr.span, {
              message: `\`\${…}\` puts text into a string, but this is \`${T.show(type)}\``,
              label: `this is \`${T.show(type)}\``,
              help: null_ ? `handle the null first: \`\${${subjectText(part.expr)} ?? "none"}\`` : T.isNumeric(type) || (type.kind === "primitive" && type.name === "bool") ? `convert it: \`\${${subjectText(part.expr) === "x" ? "n" : subjectText(part.expr)} as string}\`` : "turn it into text, e.g. with `stringify` from `std/json`",
            });
          }
        }
        if (!constant) return T.string;
        // A constant string has no part, or one text part (adjacent text is merged).
        const only = expr.parts[0];
        if (expr.parts.length <= 1) return { kind: "literal", value: only?.kind === "TextPart" ? only.value : "" };
        return { kind: "literal", value: expr.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("") };
      }
      case "BoolLit":
        return T.bool;
      case "NullLit":
        return T.nullType;
      case "NameExpr":
        return this.name(expr);
      case "RecordExpr": {
        this.repeatedFields(expr);
        const fields: T.RecordField[] = [];
        for (const f of expr.fields) {
          // Fields keep literal types: `{ verdict: "approve" }` is a `Review` where one is expected.
          const type = this.infer(f.value);
          if (!fields.some((g) => g.name === f.name.name)) fields.push({ name: f.name.name, type });
        }
        return { kind: "record", fields };
      }
      case "ListExpr": {
        let element: T.Type = T.never;
        for (const item of expr.items) {
          const type = this.infer(item);
          const joined = T.join(element, type);
          if (joined === undefined) {
            this.report("FL0210", item.span, {
              message: `a list holds one type of item: the items before this one are \`${shownAs(element)}\`, and this is \`${shownAs(type)}\``,
              label: `this is \`${shownAs(type)}\``,
              help: "put different kinds of values in a record: `{ name: …, count: … }`",
            });
            continue;
          }
          element = joined;
        }
        return T.list(element, { kind: "fixed", max: expr.items.length });
      }
      case "FieldExpr":
        return this.fieldAccess(expr);
      case "CallExpr":
        return this.call(expr, expected);
      case "UnaryExpr": {
        const operand = this.infer(expr.operand);
        if (operand.kind === "error") return T.errorType;
        if (expr.op === "!") {
          if (operand.kind === "primitive" && operand.name === "bool") return T.bool;
          this.operatorError(expr, `\`!\` negates a \`bool\`, but this is \`${shownAs(operand)}\``, "compare explicitly: `n == 0`, `s == \"\"`");
          return T.bool;
        }
        const value = this.present(expr.operand, operand, "-");
        if (T.isNumeric(value) || value.kind === "error") return value;
        this.operatorError(expr, `\`-\` negates a number, but this is \`${shownAs(operand)}\``);
        return T.errorType;
      }
      case "BinaryExpr":
        return this.binary(expr);
      case "CastExpr":
        return this.cast(expr);
      case "LambdaExpr":
        if (expected?.kind === "function") return this.lambda(expr, expected, expected.result, "the function it is passed to");
        this.report("FL0217", expr.span, {
          message: "a lambda is passed to a std function, such as `map`, `filter` or `all`",
          label: "not allowed here",
          help: "lambdas are not values of their own: call `map(xs, x => …)` from `std/list`",
        });
        return T.errorType;
      case "ForExpr":
        return this.forExpr(expr, used);
      case "WaitSignalExpr":
        if (expr.timeout !== null) this.check(expr.timeout, { type: T.duration, says: "a signal's timeout is a `duration`" });
        return this.shared.annotations.typeOf(expr.type, undefined);
      case "ErrorExpr":
        return T.errorType;
    }
  }

  private name(expr: A.NameExpr): T.Type {
    const binding = this.shared.names.references.get(expr);
    if (binding === undefined) return T.errorType;
    let type: T.Type;
    switch (binding.kind) {
      case "param":
        type = this.paramTypes.get(binding.param) ?? T.errorType;
        break;
      case "let":
        type = this.letTypes.get(binding.stmt) ?? T.errorType;
        break;
      case "for":
        type = this.forTypes.get(binding.loop) ?? T.errorType;
        break;
      case "lambda":
        type = this.lambdaTypes.get(binding.lambda)?.[binding.index] ?? T.errorType;
        break;
      case "declaration":
      case "namespace":
        this.notAValue(expr, binding);
        return T.errorType;
      default:
        return T.errorType;
    }
    return type.kind === "optional" && this.isNarrowed(expr) ? type.inner : type;
  }

  private notAValue(expr: A.Expr, binding: Binding): void {
    if (binding.kind === "namespace") {
      this.report("FL0214", expr.span, {
        message: `\`${binding.name}\` is a namespace, not a value`,
        label: "call one of its functions",
        help: `write a call such as \`${binding.name}.${[...binding.members.keys()][0] ?? "f"}(…)\``,
      });
      return;
    }
    if (binding.kind !== "declaration") return;
    const decl = binding.decl;
    const what = decl.kind === "FnDecl" ? "a function" : decl.kind === "NodeDecl" ? "a node" : decl.kind === "AgentDecl" ? "an agent" : decl.kind === "VerifierDecl" ? "a verifier" : decl.kind === "WorkflowDecl" ? "a workflow" : "not a value";
    this.report("FL0214", expr.span, {
      message: `\`${"name" in decl ? decl.name.name : "this"}\` is ${what}: it is called, not used as a value`,
      label: "call it with its arguments",
      help: "flow has no function values; to apply it to every item, write `for x in xs { f(x) }`",
    });
  }

  private fieldAccess(expr: A.FieldExpr): T.Type {
    const member = this.shared.names.references.get(expr);
    if (member !== undefined) {
      this.notAValue(expr, member);
      return T.errorType;
    }
    const object = this.infer(expr.object);
    const name = expr.field.name;
    const narrowed = (type: T.Type): T.Type => (type.kind === "optional" && this.isNarrowed(expr) ? type.inner : type);
    switch (object.kind) {
      case "error":
        return T.errorType;
      case "primitive":
        if (object.name === "json") return T.json;
        break;
      case "record": {
        const type = T.field(object, name);
        if (type !== undefined) return narrowed(type);
        const close = closestName(name, object.fields.map((f) => f.name));
        this.report("FL0212", expr.field.span, {
          message: `\`${T.show(object)}\` has no field \`${name}\``,
          label: close === undefined ? "no such field" : `did you mean \`${close}\`?`,
          help: `its fields are ${object.fields.map((f) => `\`${f.name}\``).join(", ") || "none"}`,
        });
        return T.errorType;
      }
      case "optional":
      case "null":
        this.report("FL0213", expr.object.span, {
          message: `\`${T.show(object)}\` may be null, so \`.${name}\` may not be there`,
          label: "may be null",
          help: `check it first: \`if ${subjectText(expr.object)} != null { … }\`, or give a default with \`??\``,
        });
        return T.errorType;
      default:
        break;
    }
    this.report("FL0212", expr.field.span, {
      message: `\`${T.show(object)}\` has no fields`,
      label: `no field \`${name}\``,
      help:
        object.kind === "list"
          ? "a list's items are reached with `for` or std/list functions; `len(xs)` counts them"
          : T.isText(object)
            ? "a string has no fields: std/text has functions over strings, such as `length(text)` and `trim(text)`"
            : "fields belong to records and `json` values",
    });
    return T.errorType;
  }

  // ───────────────────────────────── calls ─────────────────────────────────

  private call(expr: A.CallExpr, expected: T.Type | undefined): T.Type {
    const binding = expr.callee.kind === "NameExpr" || expr.callee.kind === "FieldExpr" ? this.shared.names.references.get(expr.callee) : undefined;
    const decl = binding?.kind === "declaration" ? binding.decl : undefined;
    if (decl === undefined || !(decl.kind === "NodeDecl" || decl.kind === "AgentDecl" || decl.kind === "VerifierDecl" || decl.kind === "WorkflowDecl" || decl.kind === "FnDecl")) {
      for (const arg of expr.args) this.infer(arg.value);
      if (binding === undefined && expr.callee.kind !== "NameExpr") {
        const callee = this.infer(expr.callee);
        if (callee.kind === "error") return T.errorType;
        this.report("FL0214", expr.callee.span, {
          message: `this is \`${T.show(callee)}\`, not something to call`,
          label: "not a function",
          help:
            expr.callee.kind === "FieldExpr"
              ? `\`${expr.callee.field.name}\` is a field, not a method: write \`${calleeText(expr.callee)}\` without \`(…)\``
              : "calls name a node, agent, verifier, workflow or std function",
        });
        return T.errorType;
      }
      if (binding === undefined || binding.kind === "unresolved") return T.errorType;
      const what = binding.kind === "namespace" ? `a namespace` : binding.kind === "declaration" ? "a type or model route" : `a value of type \`${T.show(this.infer(expr.callee))}\``;
      this.report("FL0214", expr.callee.span, {
        message: `\`${calleeText(expr.callee)}\` is ${what}, not something to call`,
        label: "not a function",
        help: "calls name a node, agent, verifier, workflow or std function",
      });
      return T.errorType;
    }
    const target = this.shared.targets.get(decl)!;
    const signature = target.signature;
    this.shared.calls.set(expr, target);
    const bound = this.bindArguments(expr, signature);
    if (!signature.generic) {
      // What crosses into a unit of work is typed for the lowering (std functions are never vertices).
      const crosses = decl.kind !== "FnDecl";
      // `forEach`, not `for … of`: no entry arrays to allocate, on the commonest call.
      bound.forEach((arg, i) => {
        const type = this.check(arg.value, new ArgumentExpectation(signature.params[i]!.type, signature, i));
        if (crosses) this.shared.types.set(arg.value, type);
      });
      return signature.result;
    }
    // Generic std functions: arguments teach the variables, lambdas learn their parameters from them.
    const inst = new Instantiation();
    // What the context expects is only a guess, for what the arguments leave open (`[]`, a lambda's
    // record literal): it never changes what they say, so `let j: json = map(ps, p => …)` keeps `p` a `Package`.
    // Without an expectation there is nothing to learn: one empty instantiation, never changed, serves every such call.
    const guess = expected === undefined ? nothingExpected : new Instantiation();
    if (expected !== undefined) guess.unify(signature.result, expected);
    const hint = (type: T.Type): T.Type | undefined => {
      if (inst.resolved(type)) return inst.apply(type);
      if (!guess.resolved(type)) return undefined;
      const guessed = guess.apply(type);
      return guessed.kind === "primitive" && guessed.name === "json" ? undefined : guessed;
    };
    // What each non-lambda argument turned out to be, in order (two arrays: lighter than a map per call).
    const learnedAt: number[] = [];
    const learned: T.Type[] = [];
    const lambdas: [number, A.Arg][] = [];
    for (const [i, arg] of bound) {
      const param = signature.params[i]!;
      if (arg.value.kind === "LambdaExpr") {
        lambdas.push([i, arg]);
        continue;
      }
      const type = this.infer(arg.value, hint(param.type));
      learnedAt.push(i);
      learned.push(type);
      inst.unify(param.type, type);
      if (arg.value.kind === "NumberLit" && arg.value.integer) inst.constants.set(param.name, arg.value.value);
    }
    for (const [i, arg] of lambdas) {
      const param = signature.params[i]!.type;
      const shape = inst.apply(param, T.errorType);
      if (shape.kind !== "function" || arg.value.kind !== "LambdaExpr") {
        this.check(arg.value, new ArgumentExpectation(shape, signature, i));
        continue;
      }
      const resultParam = param.kind === "function" ? param.result : T.errorType;
      const result = this.lambda(arg.value, shape, hint(resultParam), `\`${signature.name}\``);
      inst.unify(resultParam, result);
    }
    for (let k = 0; k < learned.length; k++) {
      const i = learnedAt[k]!;
      const arg = bound.get(i)!;
      this.compare(arg.value, learned[k]!, new ArgumentExpectation(inst.apply(signature.params[i]!.type), signature, i));
    }
    this.checkConstraints(expr, signature, decl, inst);
    return inst.apply(signature.result, T.never);
  }

  /** Pairs arguments with parameters: positional first, then by name (FL0211 for the rest). */
  private bindArguments(expr: A.CallExpr, signature: Signature): Map<number, A.Arg> {
    const bound = new Map<number, A.Arg>();
    const count = signature.params.length;
    let named = false;
    expr.args.forEach((arg, position) => {
      if (arg.name === null) {
        if (named) {
          this.report("FL0211", arg.span, {
            message: "a positional argument comes before the named ones",
            label: "positional after a named argument",
            help: "move it before the named arguments, or name it too",
          });
          // Taken as the first parameter not yet given, so that it is not also reported missing.
          const free = signature.params.findIndex((_, i) => !bound.has(i));
          if (free < 0) this.infer(arg.value);
          else bound.set(free, arg);
          return;
        }
        if (position >= count) {
          this.report("FL0211", arg.span, {
            message: `\`${signature.name}\` takes ${count === 0 ? "no arguments" : count === 1 ? "1 argument" : `${count} arguments`}, but it is given ${expr.args.length}`,
            label: "one too many",
            help: `its parameters: ${signatureText(signature)}`,
          });
          this.infer(arg.value);
          return;
        }
        bound.set(position, arg);
        return;
      }
      named = true;
      const index = signature.params.findIndex((p) => p.name === arg.name!.name);
      if (index < 0) {
        const close = closestName(arg.name.name, signature.params.map((p) => p.name));
        this.report("FL0211", arg.name.span, {
          message: `\`${signature.name}\` has no parameter \`${arg.name.name}\``,
          label: close === undefined ? "no such parameter" : `did you mean \`${close}\`?`,
          help: `its parameters: ${signatureText(signature)}`,
        });
        this.infer(arg.value);
        return;
      }
      if (bound.has(index)) {
        this.report("FL0211", arg.name.span, {
          message: `\`${arg.name.name}\` is given twice in this call of \`${signature.name}\``,
          label: "given again here",
          help: "give each argument once",
        });
        this.infer(arg.value);
        return;
      }
      bound.set(index, arg);
    });
    // With every parameter bound (the usual call), none is missing: no need to look.
    const missing = bound.size === count ? [] : signature.params.map((p, i) => ({ p, i })).filter(({ p, i }) => !p.optional && !bound.has(i));
    if (missing.length > 0) {
      const list = missing.map(({ p, i }) => `the ${ordinal(i)}, \`${p.name}: ${T.show(p.type)}\``).join(", and ");
      const end = expr.span.end;
      this.report("FL0211", { start: Math.max(expr.span.start, end - 1), end }, {
        message: `\`${signature.name}\` is missing ${missing.length === 1 ? "an argument" : `${missing.length} arguments`}: ${list}`,
        label: `missing ${missing.map(({ p }) => `\`${p.name}\``).join(", ")}`,
        help: `its parameters: ${signatureText(signature)}`,
      });
    }
    return bound;
  }

  private checkConstraints(expr: A.CallExpr, signature: Signature, decl: A.CallableDecl | A.FnDecl, inst: Instantiation): void {
    if (decl.kind !== "FnDecl") return;
    for (const param of decl.typeParams) {
      const constraint = param.constraint?.name;
      if (constraint !== "number" && constraint !== "ordered") continue;
      const type = inst.types.get(param.name.name);
      if (type === undefined || T.satisfies(type, constraint)) continue;
      this.report("FL0210", expr.span, {
        message: `\`${signature.name}\` needs ${constraint === "number" ? "numbers" : "values it can order (numbers or strings)"} for \`${param.name.name}\`, but here it is \`${T.show(type)}\``,
        label: `\`${param.name.name}\` is \`${T.show(type)}\` here`,
        help: `its signature: ${signatureText(signature)}`,
      });
    }
  }

  /** Checks a lambda against the function type its parameter has; returns the body's type. */
  private lambda(expr: A.LambdaExpr, shape: T.FunctionType, result: T.Type | undefined, who: string): T.Type {
    if (expr.params.length !== shape.params.length) {
      const passes = shape.params.length === 1 ? "1 argument" : `${shape.params.length} arguments`;
      const kinds = shape.params.length === 0 ? "" : ` (${shape.params.map((p) => `\`${T.show(p)}\``).join(", ")})`;
      this.report("FL0217", expr.span, {
        message: `${who} calls this lambda with ${passes}${kinds}, but it takes ${expr.params.length}`,
        label: `expected ${shape.params.length} parameter${shape.params.length === 1 ? "" : "s"}`,
        help:
          who === "`sort_by`" && expr.params.length === 2
            ? "`sort_by` orders by a key, not by comparing two items: write `x => x.field`"
            : shape.params.length === 1
              ? "write `x => …`"
              : `write \`(${shape.params.map((_, i) => String.fromCharCode(97 + i)).join(", ")}) => …\``,
      });
    }
    this.lambdaTypes.set(expr, expr.params.map((_, i) => shape.params[i] ?? T.errorType));
    if (expr.params.length !== shape.params.length) {
      // Its body is still checked, but what it gives teaches nothing: reported once, above.
      this.infer(expr.body);
      return T.errorType;
    }
    if (result === undefined || result.kind === "error") return this.infer(expr.body);
    return this.check(expr.body, { type: result, says: () => `this lambda must give \`${T.show(result)}\`` });
  }

  // ─────────────────────────────── operators ───────────────────────────────

  private binary(expr: A.BinaryExpr): T.Type {
    const op = expr.op;
    if (op === "&&" || op === "||") {
      this.check(expr.left, { type: T.bool, says: `\`${op}\` joins \`bool\`s` });
      const { whenTrue, whenFalse } = this.nullChecks(expr.left);
      this.withNarrowed(op === "&&" ? whenTrue : whenFalse, () => this.check(expr.right, { type: T.bool, says: `\`${op}\` joins \`bool\`s` }));
      return T.bool;
    }
    if (op === "??") {
      const left = this.infer(expr.left);
      if (left.kind === "error") {
        this.infer(expr.right);
        return T.errorType;
      }
      // Declared optional but known not to be null here: a default that cannot apply is harmless.
      if (left.kind !== "optional" && left.kind !== "null" && !this.isNarrowed(expr.left)) {
        this.report("FL0213", expr.left.span, {
          message: `\`??\` gives a default for a value that may be null, but this is \`${T.show(left)}\`, never null`,
          label: "never null",
          help: "drop `?? …`: the value is always there",
        });
        this.infer(expr.right);
        return left;
      }
      // `x ?? d` is whichever of the two both fit: `int? ?? 0.5` is a `float`. Record and list
      // literals take the type of `x` in, as `x ?? []` and `x ?? { name: "none" }` are written for it.
      const inner = left.kind === "optional" ? left.inner : left.kind === "null" ? T.never : left;
      const says = (): string => `the default after \`??\` must be \`${T.show(inner)}\``;
      const literal = expr.right.kind === "RecordExpr" || expr.right.kind === "ListExpr";
      const right = literal && inner.kind !== "never" ? this.check(expr.right, { type: T.optional(inner), says }) : this.infer(expr.right);
      const joined = T.join(inner, right);
      if (joined !== undefined) return joined;
      this.compare(expr.right, right, { type: T.optional(inner), says });
      return inner;
    }
    const ordering = op !== "==" && op !== "!=";
    // Arithmetic and ordering need values: an operand that may be null is reported as such, then taken as present.
    const left = ordering ? this.present(expr.left, this.infer(expr.left), op) : this.infer(expr.left);
    const right = ordering ? this.present(expr.right, this.infer(expr.right), op) : this.infer(expr.right);
    if (op === "/") {
      this.shared.types.set(expr.left, left);
      this.shared.types.set(expr.right, right);
    }
    if (left.kind === "error" || right.kind === "error") return op === "==" || op === "!=" || op === "<" || op === "<=" || op === ">" || op === ">=" ? T.bool : T.errorType;
    switch (op) {
      case "==":
      case "!=":
        this.equality(expr, left, right);
        return T.bool;
      case "<":
      case "<=":
      case ">":
      case ">=":
        if ((T.isNumeric(left) && T.isNumeric(right) && arithmetic(left, "-", right) !== undefined) || (T.isText(left) && T.isText(right))) return T.bool;
        this.operatorError(expr, `\`${op}\` compares two numbers of one kind or two strings, not \`${shownAs(left)}\` and \`${shownAs(right)}\``, hintFor(left, right));
        return T.bool;
      case "+":
      case "-":
      case "*":
      case "/": {
        const result = arithmetic(left, op, right);
        if (result !== undefined) return result;
        const text = op === "+" && (T.isText(left) || T.isText(right));
        this.operatorError(
          expr,
          `\`${op}\` is not defined for \`${shownAs(left)}\` and \`${shownAs(right)}\``,
          text ? 'join text with interpolation: `"${a}${b}"`' : hintFor(left, right),
        );
        return T.errorType;
      }
    }
  }

  private equality(expr: A.BinaryExpr, left: T.Type, right: T.Type): void {
    const strip = (t: T.Type): T.Type => (t.kind === "optional" ? t.inner : t);
    if (left.kind === "null" || right.kind === "null") {
      const other = left.kind === "null" ? right : left;
      if (other.kind === "optional" || other.kind === "null" || (other.kind === "primitive" && other.name === "json")) return;
      // Declared optional, known not to be null here: the check is redundant, not wrong.
      if (this.isNarrowed(left.kind === "null" ? expr.right : expr.left)) return;
      this.operatorError(expr, `this compares a \`${T.show(other)}\` with \`null\`, but it is never null`, "drop the comparison: the value is always there");
      return;
    }
    const l = strip(left);
    const r = strip(right);
    const literals = (t: T.Type): readonly string[] | undefined => (t.kind === "literal" ? [t.value] : t.kind === "union" ? t.members : undefined);
    const ll = literals(l);
    const rl = literals(r);
    if (ll !== undefined && rl !== undefined) {
      if (ll.some((v) => rl.includes(v))) return;
      const [value, union] = ll.length === 1 ? [ll[0]!, r] : [rl[0]!, l];
      const options = literals(union) ?? [];
      this.operatorError(
        expr,
        `this is always ${expr.op === "==" ? "false" : "true"}: \`${T.show(union)}\` is never ${JSON.stringify(value)}`,
        suggestValue(value, options),
      );
      return;
    }
    if (T.mismatch(l, r) === undefined || T.mismatch(r, l) === undefined) return;
    if (T.isNumeric(l) && T.isNumeric(r) && arithmetic(l, "-", r) !== undefined) return;
    this.operatorError(expr, `\`${expr.op}\` compares values of one type, not \`${shownAs(left)}\` and \`${shownAs(right)}\``, hintFor(left, right));
  }

  /** The operand of `op` as a value: FL0213 when it may be null, then its type without the null. */
  private present(operand: A.Expr, type: T.Type, op: string): T.Type {
    if (type.kind !== "optional" && type.kind !== "null") return type;
    this.report("FL0213", operand.span, {
      message: `\`${op}\` needs a value, but this is \`${T.show(type)}\`: it may be null`,
      label: "may be null",
      help: nullHelp(operand),
    });
    return type.kind === "optional" ? type.inner : T.errorType;
  }

  private operatorError(expr: A.Expr, message: string, help?: string): void {
    this.report("FL0215", expr.span, { message, label: "here", ...(help === undefined ? {} : { help }) });
  }

  /** `x as T`: a conversion checked when it runs; only those that can succeed are allowed. */
  private cast(expr: A.CastExpr): T.Type {
    const from = this.infer(expr.expr);
    this.shared.types.set(expr.expr, from);
    const to = this.shared.annotations.typeOf(expr.type, undefined);
    if (from.kind === "error" || to.kind === "error" || convertible(from, to)) return to;
    const unit = isQuantity(to) && T.isNumeric(from) && !isQuantity(from) ? unitExample[(to as T.PrimitiveType).name as "duration" | "tokens" | "usd"] : undefined;
    const structured = (from.kind === "record" || from.kind === "list") && to.kind === "primitive" && to.name === "string";
    this.report("FL0216", expr.span, {
      message: `\`${shownAs(from)}\` cannot be converted to \`${T.show(to)}\``,
      label: "no such conversion",
      help:
        unit !== undefined
          ? `a number has no unit: multiply it by one, as in \`n * ${unit}\``
          : structured
            ? "turn it into JSON text with `stringify` from `std/json`, or join a list of strings with `join` from `std/text`"
            : "`as` converts `json` to any type, numbers and `bool` to `string`, `string` to numbers, `int` to `float`, a whole `float` to `int`, and narrows a list's bound or a string to a union; each is checked when it runs",
    });
    return to;
  }

  // ──────────────────────────────── fan-out ────────────────────────────────

  private forExpr(expr: A.ForExpr, used: boolean): T.Type {
    const iterable = this.infer(expr.iterable);
    this.shared.types.set(expr.iterable, iterable);
    let element: T.Type = T.errorType;
    let bound: T.Bound = T.unbounded;
    if (iterable.kind === "list") {
      element = iterable.element;
      bound = iterable.bound;
    } else if (iterable.kind !== "error") {
      const nullable = iterable.kind === "optional";
      this.report(nullable ? "FL0213" : "FL0210", expr.iterable.span, {
        message: `\`for\` goes over a list, but this is \`${T.show(iterable)}\``,
        label: nullable ? "may be null" : "not a list",
        help: nullable
          ? `handle the null first: \`for ${expr.binding.name} in ${subjectText(expr.iterable)} ?? [] { … }\``
          : forHelp(expr.iterable, iterable),
      });
    }
    this.forTypes.set(expr, element);
    if (expr.concurrency !== null) this.constantCount(expr.concurrency, "concurrency");
    if (expr.limit !== null) {
      const limit = this.constantCount(expr.limit, "limit");
      if (limit !== undefined && (bound.kind !== "fixed" || limit < bound.max)) bound = { kind: "fixed", max: limit };
    }
    if (expr.tolerate !== null) {
      const tolerate = this.infer(expr.tolerate);
      const ok = (expr.tolerate.kind === "NumberLit" && expr.tolerate.integer) || (expr.tolerate.kind === "QuantityLit" && expr.tolerate.dimension === "percent");
      if (!ok && tolerate.kind !== "error") {
        this.report("FL0223", expr.tolerate.span, {
          message: "`tolerate` is a constant count or percentage",
          label: "not a constant count or percentage",
          help: "write how many items may fail, such as `tolerate 3`, or what share, such as `tolerate 5%`",
        });
      }
    }
    const yielded = this.block(expr.body, used);
    if (!used) return T.list(yielded ?? T.errorType, bound);
    if (yielded === undefined) {
      this.report("FL0219", expr.span, {
        message: "this `for` is used as a value, but its body ends without one",
        label: "yields nothing",
        help: "end the body with the value of each item: a call or an expression on its own line",
        ...(expr.body.stmts.length > 0 ? { secondary: [{ span: expr.body.stmts[expr.body.stmts.length - 1]!.span, label: "the last statement" }] } : {}),
      });
      return T.errorType;
    }
    return T.list(T.widen(yielded), bound);
  }

  /** `concurrency 12`, `limit 30`: a positive whole number, known before the run. */
  private constantCount(expr: A.Expr, what: string): number | undefined {
    this.infer(expr);
    if (expr.kind === "NumberLit" && expr.integer && expr.value > 0) return expr.value;
    this.report("FL0223", expr.span, {
      message: `\`${what}\` is a constant whole number greater than 0`,
      label: "not a positive constant",
      help: `write it out, such as \`${what} 10\`: the bound is part of the plan the checker prices`,
    });
    return undefined;
  }

  /** FL0225 for each field a record literal gives twice. */
  private repeatedFields(expr: A.RecordExpr): void {
    for (const repeat of repeatedFields(expr.fields, "literal")) this.report("FL0225", repeat.span, repeat);
  }

  private report(code: DiagnosticCode, span: Span, text: Text): void {
    this.shared.diagnostics.push(syntaxError(this.module.source, code, span, text));
  }
}

/** The guess of a generic call whose place expects nothing: read, never unified into. */
const nothingExpected = new Instantiation();

function saying(expected: Expectation): string {
  return typeof expected.says === "string" ? expected.says : expected.says();
}

/** How a message shows a type: `"a"` is the `string` it is, unless literals are what it is about. */
function shownAs(type: T.Type): string {
  return T.show(T.widen(type));
}

/** The type of each kind of quantity literal, made once: types are immutable. */
const quantityTypes: Record<A.Dimension, T.PrimitiveType> = {
  tokens: T.primitive("tokens"),
  duration: T.primitive("duration"),
  money: T.primitive("usd"),
  percent: T.primitive("percent"),
};

function isVerdict(type: T.Type): boolean {
  if (type.kind === "error") return true;
  if (type.kind === "primitive") return type.name === "bool";
  if (type.kind !== "record") return false;
  const ok = T.field(type, "ok");
  return ok?.kind === "primitive" && ok.name === "bool";
}

/** Whether a block never falls through its end: it returns or fails on every path. */
function alwaysExits(block: A.Block): boolean {
  const last = block.stmts[block.stmts.length - 1];
  return last !== undefined && alwaysExitsStmt(last);
}

function alwaysExitsStmt(stmt: A.Stmt | A.Block): boolean {
  switch (stmt.kind) {
    case "Block":
      return alwaysExits(stmt);
    case "ReturnStmt":
    case "FailStmt":
      return true;
    case "IfStmt":
      return stmt.else !== null && alwaysExits(stmt.then) && alwaysExitsStmt(stmt.else);
    default:
      return false;
  }
}

function bindingSite(binding: Binding): number | undefined {
  switch (binding.kind) {
    case "param":
      return binding.param.span.start;
    case "let":
      return binding.stmt.span.start;
    case "for":
      return binding.loop.span.start;
    case "lambda":
      return binding.lambda.span.start * 64 + binding.index;
    default:
      return undefined;
  }
}

function calleeText(expr: A.Expr): string {
  if (expr.kind === "NameExpr") return expr.name;
  if (expr.kind === "FieldExpr") return `${calleeText(expr.object)}.${expr.field.name}`;
  return "this";
}

/** How a hint names a value: `top.owner` when it is a name or a field of one, `x` otherwise. */
function subjectText(expr: A.Expr): string {
  const path = (e: A.Expr): boolean => e.kind === "NameExpr" || (e.kind === "FieldExpr" && path(e.object));
  return path(expr) ? calleeText(expr) : "x";
}

function forHelp(iterable: A.Expr, type: T.Type): string {
  if (type.kind === "primitive" && type.name === "json") return "give it a list type first: `for x in value as List<Item, max 100> { … }`";
  const lists = type.kind === "record" ? type.fields.filter((f) => f.type.kind === "list").map((f) => `\`${subjectText(iterable)}.${f.name}\``) : [];
  if (lists.length > 0) return `go over one of its lists: ${lists.join(", ")}`;
  return "iterate a `List<T>`: a node's result, a parameter, or a std/list function's";
}

function nullHelp(expr: A.Expr): string {
  const x = subjectText(expr);
  return `handle the null first: \`${x} ?? default\`, or \`if ${x} != null { … }\``;
}

function signatureText(signature: Signature): string {
  return `\`${signature.name}(${signature.params.map((p) => `${p.name}: ${T.show(p.type)}`).join(", ")})\``;
}

/**
 * Arithmetic on quantities keeps their dimension: durations add to
 * durations and scale by numbers; `int` and `float` mix to `float`; whole
 * numbers divide to whole numbers (rounding toward zero).
 */
function arithmetic(left: T.Type, op: "+" | "-" | "*" | "/", right: T.Type): T.Type | undefined {
  if (left.kind !== "primitive" || right.kind !== "primitive") return undefined;
  const l = left.name;
  const r = right.name;
  const plain = (n: T.PrimitiveName) => n === "int" || n === "float";
  if (plain(l) && plain(r)) return l === "float" || r === "float" ? T.float : T.int;
  const quantity = (n: T.PrimitiveName) => n === "duration" || n === "tokens" || n === "usd";
  if (quantity(l) && l === r) {
    if (op === "+" || op === "-") return left;
    if (op === "/") return T.float;
    return undefined;
  }
  if (quantity(l) && plain(r) && (op === "*" || op === "/")) return left;
  if (plain(l) && quantity(r) && op === "*") return right;
  return undefined;
}

function hintFor(left: T.Type, right: T.Type): string | undefined {
  const names = [left, right].map((t) => T.widen(t)).map((t) => (t.kind === "primitive" ? t.name : ""));
  const quantity = [left, right].find(isQuantity);
  if (quantity !== undefined && names.some((n) => n === "int" || n === "float")) {
    const unit = unitExample[(quantity as T.PrimitiveType).name as "duration" | "tokens" | "usd"];
    return `a number has no unit: add a \`${(quantity as T.PrimitiveType).name}\` such as \`${unit}\`, or scale with \`*\` and \`/\``;
  }
  if (names.includes("string") && names.some((n) => n === "int" || n === "float")) return "convert one side explicitly: `s as int` or `n as string`";
  if (names.includes("json")) return "give the `json` value a type first: `value as int`";
  return undefined;
}

/** A hint for a mismatch: the value meant, or an explicit conversion that would fix it. */
function conversionHint(actual: T.Type, expected: T.Type, problem: T.Mismatch): string | undefined {
  const target = expected.kind === "optional" ? expected.inner : expected;
  if (problem.kind === "notMember") {
    return suggestValue(problem.value, target.kind === "union" ? target.members : target.kind === "literal" ? [target.value] : []);
  }
  // A list of what is expected: one of its items, or each of them, was meant.
  if (problem.kind === "types" && actual.kind === "list" && T.mismatch(actual.element, expected) === undefined) {
    return "this is a list of them: go over it with `for x in xs { … }`, or take one with `first(xs)` from `std/list`";
  }
  // A type with variables (`List<T>` of a std function) is written with holes: `List<…>`.
  const written = T.show(withHoles(expected));
  if (problem.kind === "bound") return `keep the first items with \`take(xs, ${problem.to})\` from \`std/list\`, or convert with \`as ${written}\`, checked when it runs`;
  if (problem.kind !== "types") return undefined;
  // `"30m"` where a duration is expected: the quantity without its quotes.
  if (actual.kind === "literal" && target.kind === "primitive" && T.isNumeric(target)) {
    const meaning = numericMeaning(actual.value.trim());
    if (meaning.kind !== "error") return `write it without quotes: \`${actual.value.trim()}\``;
  }
  if (actual.kind === "primitive" && actual.name === "json") return `give it a type with a checked conversion: \`… as ${written}\``;
  if (target.kind === "primitive" && (target.name === "duration" || target.name === "tokens" || target.name === "usd") && T.isNumeric(actual) && !isQuantity(actual)) {
    return `a number has no unit: multiply it by one, as in \`n * ${unitExample[target.name]}\``;
  }
  if (convertible(actual, expected) && !hasVariables(expected)) return `convert it explicitly: \`… as ${written}\``;
  return undefined;
}

/** The literal a misspelt one stands for, when exactly one is nearest; otherwise all of them. */
function suggestValue(value: string, allowed: readonly string[]): string {
  const close = closestName(value, allowed);
  const tied = close === undefined ? [] : allowed.filter((v) => editDistance(value.toLowerCase(), v.toLowerCase()) === editDistance(value.toLowerCase(), close.toLowerCase()));
  if (close !== undefined && tied.length === 1) return `did you mean ${JSON.stringify(close)}?`;
  return `the allowed values are ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
}

/** `timeout 7` for `timeout 7d`: a plain number where a quantity is expected wants its unit. */
function unitHint(expr: A.Expr, expected: T.Type): string | undefined {
  const target = expected.kind === "optional" ? expected.inner : expected;
  if (expr.kind !== "NumberLit" || !isQuantity(target)) return undefined;
  const raw = expr.raw;
  switch ((target as T.PrimitiveType).name) {
    case "duration":
      return `a number has no unit: write \`${raw}s\`, \`${raw}m\`, \`${raw}h\` or \`${raw}d\``;
    case "tokens":
      return `a number has no unit: write \`${raw}k\` or \`${raw}M\` tokens`;
    default:
      return `write an amount of money as \`$${raw}\``;
  }
}

function withHoles(type: T.Type): T.Type {
  const holes = new Instantiation();
  const vars = (t: T.Type): void => {
    if (t.kind === "var") holes.types.set(t.name, { kind: "var", name: "…", constraint: null });
    else if (t.kind === "list") vars(t.element);
    else if (t.kind === "optional") vars(t.inner);
    else if (t.kind === "record") t.fields.forEach((f) => vars(f.type));
    else if (t.kind === "function") [...t.params, t.result].forEach(vars);
  };
  vars(type);
  return holes.apply(type);
}

const unitExample: Record<"duration" | "tokens" | "usd", string> = { duration: "1s", tokens: "1k", usd: "$1" };

function isQuantity(type: T.Type): boolean {
  return type.kind === "primitive" && (type.name === "duration" || type.name === "tokens" || type.name === "usd");
}

function convertible(from: T.Type, to: T.Type): boolean {
  if (T.mismatch(from, to) === undefined) return true;
  const strippedFrom = from.kind === "optional" ? from.inner : from;
  if (from.kind === "optional" && convertible(strippedFrom, to)) return true;
  if (strippedFrom.kind === "primitive" && strippedFrom.name === "json") return to.kind !== "function";
  if (to.kind === "primitive" && to.name === "string") return T.isNumeric(strippedFrom) || (strippedFrom.kind === "primitive" && strippedFrom.name === "bool");
  if (T.isText(strippedFrom) && (to.kind === "primitive" && (to.name === "int" || to.name === "float"))) return true;
  // A `float` holding a whole number converts to `int`; any other fails when it runs.
  if (strippedFrom.kind === "primitive" && strippedFrom.name === "float" && to.kind === "primitive" && to.name === "int") return true;
  if (T.isText(strippedFrom) && (to.kind === "union" || to.kind === "literal")) return true;
  if (strippedFrom.kind === "list" && to.kind === "list") return convertible(strippedFrom.element, to.element);
  const problem = T.mismatch(strippedFrom, to);
  return problem?.kind === "bound";
}
