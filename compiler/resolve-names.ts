import type * as A from "../language/ast.ts";
import { closestName } from "../language/closest-name.ts";
import type { Diagnostic } from "../language/diagnostics/diagnostic.ts";
import type { Span } from "../language/source-file.ts";
import { syntaxError } from "../language/syntax-error.ts";
import { forEachChild, type SyntaxNode } from "../language/walk.ts";
import { article, describe } from "./describe-binding.ts";
import type { Module, ModuleGraph } from "./modules.ts";
import { stdModuleDeclaring } from "./verify-ir/std-table.ts";

/** What a name refers to. */
export type Binding =
  | { readonly kind: "declaration"; readonly decl: A.Decl; readonly module: string }
  /** `git` from `std/sandbox`: the functions declared as `fn git.…`. */
  | { readonly kind: "namespace"; readonly name: string; readonly module: string; readonly members: ReadonlyMap<string, A.FnDecl> }
  | { readonly kind: "param"; readonly param: A.Param }
  | { readonly kind: "let"; readonly stmt: A.LetStmt }
  | { readonly kind: "for"; readonly loop: A.ForExpr }
  | { readonly kind: "lambda"; readonly lambda: A.LambdaExpr; readonly index: number }
  | { readonly kind: "primitive"; readonly name: string }
  /** `T` in `fn map<T, U>(…)`. */
  | { readonly kind: "typeParam"; readonly param: A.TypeParam }
  /** An import that failed (FL0204, FL0207): bound anyway, so that each use is not reported again. */
  | { readonly kind: "unresolved"; readonly at: A.ImportName };

/** Names in the tree that refer to something: values, types, routes, and `git.diff` (a namespace member). */
export type Reference = A.NameExpr | A.NamedType | A.Ident | A.FieldExpr | A.QualifiedName;

export interface NameResolution {
  /** For every name used as a value, a type or a model route, what it refers to. */
  readonly references: ReadonlyMap<Reference, Binding>;
  readonly diagnostics: readonly Diagnostic[];
}

export const primitiveTypes = ["string", "int", "float", "bool", "duration", "json"] as const;

/** The failure kinds of std (LANGUAGE.md §10); `fail` adds a program's own. */
export const stdFailureKinds = ["Timeout", "Transient", "RateLimited", "InvalidOutput", "BudgetExceeded", "Rejected", "Failed"] as const;

const stdFailureKindSet: ReadonlySet<string> = new Set(stdFailureKinds);

/** One binding per primitive type, shared by every use of it: bindings are immutable. */
const primitiveBindings: ReadonlyMap<string, Binding> = new Map(primitiveTypes.map((name) => [name, { kind: "primitive", name }]));

interface Entry {
  readonly binding: Binding;
  /** Where it is defined, for "first defined here" labels. */
  readonly span: Span;
}

/** The names a file declares and imports. Values and types are one namespace: `Review` and `review` differ. */
type TopLevel = Map<string, Entry>;

/**
 * Resolves every name in the program: declarations, imports, parameters,
 * `let`s, `for` bindings and lambda parameters, in scopes that follow the
 * blocks. A name is defined once where it is visible: a local may not reuse
 * a name already in scope (FL0205), so a name always means one thing in
 * one place, which reviewers and the checker both rely on.
 */
export function resolveNames(graph: ModuleGraph): NameResolution {
  const references = new Map<Reference, Binding>();
  const diagnostics: Diagnostic[] = [];
  const tops = new Map<string, TopLevel>();
  for (const module of graph.modules.values()) tops.set(module.path, declared(module, diagnostics));
  // A program's own failure kinds take a walk over the whole tree to find; only a `retry … on`
  // naming a kind std does not have needs them, so the walk waits for one.
  let failureKinds: ReadonlySet<string> | undefined;
  const allFailureKinds = (): ReadonlySet<string> =>
    (failureKinds ??= new Set<string>([...stdFailureKinds, ...[...graph.modules.values()].flatMap(userFailureKinds)]));
  for (const module of graph.modules.values()) {
    const top = tops.get(module.path)!;
    addImports(module, graph, tops, top, diagnostics);
    new ModuleResolver(module, top, allFailureKinds, references, diagnostics).resolve();
  }
  return { references, diagnostics };
}

function declared(module: Module, diagnostics: Diagnostic[]): TopLevel {
  const top: TopLevel = new Map();
  const twice = (name: A.Ident, earlier: Span, what: string): void => {
    diagnostics.push(
      syntaxError(module.source, "FL0201", name.span, {
        message: `\`${what}\` is declared twice in this file`,
        label: "the second declaration",
        secondary: [{ span: earlier, label: "first declared here" }],
        help: "rename one of them; declarations of every kind share one namespace",
      }),
    );
  };
  for (const decl of module.parsed.program.decls) {
    if (decl.kind === "ImportDecl") continue;
    if (decl.kind === "FnDecl" && module.std === undefined) {
      diagnostics.push(
        syntaxError(module.source, "FL0124", { start: decl.span.start, end: decl.span.start + 2 }, {
          message: "`fn` declarations belong to the standard library",
          label: "only `stdlib/` declares functions",
          help: "a unit of work is a `node` (steps in a sandbox), an `agent` (a model loop) or a `verifier` (a deterministic check)",
        }),
      );
      continue;
    }
    if (decl.kind === "FnDecl" && decl.namespace !== null) {
      const space = decl.namespace;
      let entry = top.get(space.name);
      if (entry === undefined) {
        entry = { binding: { kind: "namespace", name: space.name, module: module.path, members: new Map() }, span: space.span };
        top.set(space.name, entry);
      }
      if (entry.binding.kind !== "namespace") {
        twice(space, entry.span, space.name);
        continue;
      }
      const members = entry.binding.members as Map<string, A.FnDecl>;
      const earlier = members.get(decl.name.name);
      if (earlier !== undefined) twice(decl.name, earlier.name.span, `${space.name}.${decl.name.name}`);
      else members.set(decl.name.name, decl);
      continue;
    }
    const name = decl.name;
    const earlier = top.get(name.name);
    if (earlier !== undefined) {
      twice(name, earlier.span, name.name);
      continue;
    }
    top.set(name.name, { binding: { kind: "declaration", decl, module: module.path }, span: name.span });
  }
  return top;
}

function addImports(module: Module, graph: ModuleGraph, tops: ReadonlyMap<string, TopLevel>, top: TopLevel, diagnostics: Diagnostic[]): void {
  for (const decl of module.parsed.program.decls) {
    if (decl.kind !== "ImportDecl") continue;
    const from = decl.from.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
    const target = graph.targets.get(decl);
    for (const item of decl.names) {
      const local = item.alias ?? item.name;
      let binding: Binding | undefined;
      if (target !== undefined) {
        // Only what the file declares itself, whatever it imports and in whichever order files are resolved.
        const declaredThere = (e: Entry | undefined): e is Entry =>
          (e?.binding.kind === "declaration" || e?.binding.kind === "namespace") && e.binding.module === target.path;
        const exported = tops.get(target.path)!.get(item.name.name);
        if (!declaredThere(exported)) {
          const names = [...tops.get(target.path)!.entries()].filter(([, e]) => declaredThere(e)).map(([n]) => n);
          const close = closestName(item.name.name, names);
          diagnostics.push(
            syntaxError(module.source, "FL0204", item.name.span, {
              message: `\`${item.name.name}\` is not declared in \`${target.path}\``,
              label: close === undefined ? "not declared there" : `did you mean \`${close}\`?`,
              help: (() => {
                const origin = importedFrom(target, item.name.name, graph);
                if (origin !== undefined) return `\`${target.path}\` imports it from \`${origin}\`: import it from there`;
                return `\`${target.path}\` declares ${names.length === 0 ? "nothing" : names.map((n) => `\`${n}\``).join(", ")}`;
              })(),
            }),
          );
          binding = { kind: "unresolved", at: item };
        } else {
          binding = exported.binding;
        }
      } else {
        binding = { kind: "unresolved", at: item }; // the file or std module is missing: FL0207 says so
      }
      const earlier = top.get(local.name);
      if (earlier !== undefined) {
        diagnostics.push(
          syntaxError(module.source, "FL0201", local.span, {
            message: `\`${local.name}\` is already defined in this file`,
            label: "imported again here",
            secondary: [{ span: earlier.span, label: "first defined here" }],
            help: `import it under another name: \`${item.name.name} as other_name\``,
          }),
        );
        continue;
      }
      top.set(local.name, { binding, span: local.span });
    }
  }
}

/** Where `module` imports `name` from, read from its import declarations (not from what is resolved so far). */
function importedFrom(module: Module, name: string, graph: ModuleGraph): string | undefined {
  for (const decl of module.parsed.program.decls) {
    if (decl.kind !== "ImportDecl" || !decl.names.some((n) => (n.alias ?? n.name).name === name)) continue;
    return graph.targets.get(decl)?.path ?? decl.from.parts.map((p) => (p.kind === "TextPart" ? p.value : "")).join("");
  }
  return undefined;
}

function userFailureKinds(module: Module): string[] {
  const kinds: string[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.kind === "FailStmt" && node.errorKind !== undefined) kinds.push(node.errorKind.name);
    forEachChild(node, visit);
  };
  for (const decl of module.parsed.program.decls) visit(decl);
  return kinds;
}

/** A block's names, innermost last. */
class Scopes {
  /** A frame's map is made at its first name: many blocks define none. */
  private readonly frames: (Map<string, Entry> | undefined)[] = [];
  onTopLevelHit: (name: string) => void = () => {};

  constructor(private readonly top: TopLevel) {}

  push(): void {
    this.frames.push(undefined);
  }

  pop(): void {
    this.frames.pop();
  }

  /** What a name in the code refers to; a top-level name found here counts as used. */
  lookup(name: string): Entry | undefined {
    const local = this.local(name);
    if (local !== undefined) return local;
    const found = this.top.get(name);
    if (found !== undefined) this.onTopLevelHit(name);
    return found;
  }

  /** The same, for the checker's own questions (suggestions, redefinitions): nothing counts as used. */
  peek(name: string): Entry | undefined {
    return this.local(name) ?? this.top.get(name);
  }

  private local(name: string): Entry | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const found = this.frames[i]?.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  define(name: string, entry: Entry): void {
    const last = this.frames.length - 1;
    (this.frames[last] ??= new Map()).set(name, entry);
  }

  /** Every visible name, for suggestions. */
  names(): string[] {
    return [...this.top.keys(), ...this.frames.flatMap((f) => (f === undefined ? [] : [...f.keys()]))];
  }
}

class ModuleResolver {
  private readonly scopes: Scopes;
  /** Top-level names looked up at least once: what is imported and never looked up is FL0209. */
  private readonly used = new Set<string>();

  constructor(
    private readonly module: Module,
    private readonly top: TopLevel,
    private readonly failureKinds: () => ReadonlySet<string>,
    private readonly references: Map<Reference, Binding>,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.scopes = new Scopes(top);
  }

  resolve(): void {
    this.scopes.onTopLevelHit = (name) => this.used.add(name);
    for (const decl of this.module.parsed.program.decls) {
      switch (decl.kind) {
        case "ImportDecl":
          break;
        case "TypeDecl":
          this.type(decl.type);
          break;
        case "ModelsDecl":
          break;
        case "NodeDecl":
        case "AgentDecl":
        case "VerifierDecl":
        case "WorkflowDecl":
          this.callable(decl);
          break;
        case "FnDecl":
          this.fn(decl);
          break;
      }
    }
    this.unusedImports();
  }

  private unusedImports(): void {
    for (const decl of this.module.parsed.program.decls) {
      if (decl.kind !== "ImportDecl") continue;
      for (const item of decl.names) {
        const local = item.alias ?? item.name;
        const entry = this.top.get(local.name);
        // A failed import is reported as such; calling it unused as well would be noise.
        if (this.used.has(local.name) || entry?.span !== local.span || entry.binding.kind === "unresolved") continue;
        this.diagnostics.push({
          ...syntaxError(this.module.source, "FL0209", local.span, {
            message: `\`${local.name}\` is imported but never used`,
            label: "never used",
            help: "remove it from the import",
          }),
          severity: "warning",
        });
      }
    }
  }

  private callable(decl: A.CallableDecl): void {
    this.scopes.push();
    for (const param of decl.params) {
      this.type(param.type);
      this.define(param.name, { kind: "param", param });
    }
    this.type(decl.returnType);
    for (const clause of decl.clauses) this.clause(clause);
    if (decl.kind !== "AgentDecl") this.block(decl.body);
    this.scopes.pop();
  }

  /** Type parameters of the `fn` being resolved, visible in its signature only. */
  private typeParams = new Map<string, A.TypeParam>();

  private fn(decl: A.FnDecl): void {
    this.typeParams = new Map(decl.typeParams.map((p) => [p.name.name, p]));
    for (const param of decl.params) this.type(param.type);
    this.type(decl.returnType);
    this.typeParams = new Map();
  }

  private clause(clause: A.Clause): void {
    switch (clause.kind) {
      case "ModelsClause":
        if (clause.route.kind === "Ident") this.modelRoute(clause.route);
        return;
      case "ToolsClause":
        for (const tool of clause.tools) this.tool(tool);
        return;
      case "RetryClause":
        for (const kind of clause.on ?? []) this.failureKind(kind);
        if (clause.backoff !== null) {
          this.expr(clause.backoff.base);
          if (clause.backoff.cap !== null) this.expr(clause.backoff.cap);
        }
        return;
      case "TimeoutClause":
        return this.expr(clause.duration);
      case "PromptClause":
        return this.expr(clause.text);
      case "EffectsClause":
      case "GrantsClause":
      case "BudgetClause":
      case "GateClause":
      case "SandboxClause":
      case "CostClause":
        return;
    }
  }

  private block(block: A.Block): void {
    this.scopes.push();
    for (const stmt of block.stmts) this.stmt(stmt);
    this.scopes.pop();
  }

  private stmt(stmt: A.Stmt): void {
    switch (stmt.kind) {
      case "LetStmt":
        if (stmt.type !== null) this.type(stmt.type);
        this.expr(stmt.value);
        // Defined after its value: `let x = x` refers to an outer `x`, and is refused below anyway.
        this.define(stmt.name, { kind: "let", stmt });
        return;
      case "ExprStmt":
        return this.expr(stmt.expr);
      case "ReturnStmt":
        return this.expr(stmt.value);
      case "IfStmt":
        this.expr(stmt.cond);
        this.block(stmt.then);
        if (stmt.else?.kind === "Block") this.block(stmt.else);
        else if (stmt.else !== null) this.stmt(stmt.else);
        return;
      case "CheckpointStmt":
        return;
      case "FailStmt":
        return this.expr(stmt.message);
      case "VerifyStmt":
        this.expr(stmt.check);
        return this.expr(stmt.message);
      case "ApproveStmt":
        if (stmt.show !== null) this.expr(stmt.show);
        if (stmt.timeout !== null) this.expr(stmt.timeout);
        return;
      case "SleepStmt":
        return this.expr(stmt.duration);
    }
  }

  private expr(expr: A.Expr): void {
    switch (expr.kind) {
      case "NameExpr":
        return this.valueName(expr, "value");
      case "StringLit":
        for (const part of expr.parts) if (part.kind === "InterpolationPart") this.expr(part.expr);
        return;
      case "RecordExpr":
        for (const field of expr.fields) this.expr(field.value);
        return;
      case "ListExpr":
        for (const item of expr.items) this.expr(item);
        return;
      case "FieldExpr": {
        // Fields are checked with types (`report.total` needs `report`'s type); a namespace's members here.
        this.expr(expr.object);
        const space = expr.object.kind === "NameExpr" ? this.references.get(expr.object) : undefined;
        if (space?.kind === "namespace") this.member(space, expr.field, expr);
        return;
      }
      case "CallExpr":
        this.expr(expr.callee);
        for (const arg of expr.args) this.expr(arg.value);
        return;
      case "UnaryExpr":
        return this.expr(expr.operand);
      case "BinaryExpr":
        this.expr(expr.left);
        return this.expr(expr.right);
      case "CastExpr":
        this.expr(expr.expr);
        return this.type(expr.type);
      case "LambdaExpr":
        this.scopes.push();
        expr.params.forEach((param, index) => this.define(param, { kind: "lambda", lambda: expr, index }));
        this.expr(expr.body);
        this.scopes.pop();
        return;
      case "ForExpr":
        this.expr(expr.iterable);
        if (expr.concurrency !== null) this.expr(expr.concurrency);
        if (expr.tolerate !== null) this.expr(expr.tolerate);
        if (expr.limit !== null) this.expr(expr.limit);
        this.scopes.push();
        this.define(expr.binding, { kind: "for", loop: expr });
        this.block(expr.body);
        this.scopes.pop();
        return;
      case "WaitSignalExpr":
        this.type(expr.type);
        if (expr.timeout !== null) this.expr(expr.timeout);
        return;
      case "NumberLit":
      case "QuantityLit":
      case "BoolLit":
      case "NullLit":
      case "ErrorExpr":
        return;
    }
  }

  private type(type: A.TypeExpr): void {
    switch (type.kind) {
      case "NamedType": {
        const name = type.name.name;
        // Type parameters exist only in a `fn`'s signature.
        const typeParam = this.typeParams.size === 0 ? undefined : this.typeParams.get(name);
        if (typeParam !== undefined) {
          this.references.set(type, { kind: "typeParam", param: typeParam });
          return;
        }
        const primitive = primitiveBindings.get(name);
        if (primitive !== undefined) {
          this.references.set(type, primitive);
          return;
        }
        const found = this.top.get(name);
        if (found !== undefined) this.used.add(name);
        const isType = found !== undefined && (found.binding.kind === "unresolved" || (found.binding.kind === "declaration" && found.binding.decl.kind === "TypeDecl"));
        if (isType) {
          this.references.set(type, found.binding);
          return;
        }
        const types = [...primitiveTypes, ...[...this.top].filter(([, e]) => e.binding.kind === "declaration" && e.binding.decl.kind === "TypeDecl").map(([n]) => n)];
        const close = closestName(name, types);
        this.report("FL0203", type.name.span, {
          message: found === undefined ? `there is no type \`${name}\`` : `\`${name}\` is a ${describe(found.binding)}, not a type`,
          label: close === undefined ? "unknown type" : `did you mean \`${close}\`?`,
          help:
            name === "List"
              ? "write `List<T>`, with the element type"
              : (found === undefined ? importHint(name) : undefined) ??
                "types are `string`, `int`, `float`, `bool`, `duration`, `json`, and those declared with `type Name = …` or imported",
        });
        return;
      }
      case "ListType":
        return this.type(type.element);
      case "RecordType":
        for (const field of type.fields) this.type(field.type);
        return;
      case "OptionalType":
        return this.type(type.inner);
      case "FunctionType":
        for (const param of type.params) this.type(param);
        return this.type(type.result);
      case "UnionType":
        for (const member of type.members) this.type(member);
        return;
      case "LiteralType":
      case "ErrorType":
        return;
    }
  }

  private valueName(name: A.NameExpr | A.Ident, role: "value" | "tool"): void {
    const text = name.kind === "NameExpr" ? name.name : name.name;
    const found = this.scopes.lookup(text);
    if (found !== undefined && isValue(found.binding)) {
      this.references.set(name, found.binding);
      return;
    }
    const values = this.scopes.names().filter((n) => {
      const entry = this.scopes.peek(n);
      return entry !== undefined && isValue(entry.binding);
    });
    const close = foreignWords[text] ?? closestName(text, values);
    this.report("FL0202", name.span, {
      message: found !== undefined ? `\`${text}\` is a ${describe(found.binding)}, not a value` : role === "tool" ? `there is no tool \`${text}\`` : `\`${text}\` is not defined`,
      label: close === undefined ? "unknown name" : `did you mean \`${close}\`?`,
      help:
        role === "tool"
          ? "an agent's tools are std steps, imported like `import { sh, read_file } from \"std/sandbox\"`"
          : ((found === undefined ? importHint(text) : undefined) ??
            "a name is a parameter, a `let` above it, a `for` or lambda variable, a node, agent, verifier or workflow of this file, or an import"),
    });
  }

  /** `tools [sh, git.diff]`: std functions, by name or through their namespace. */
  private tool(tool: A.QualifiedName): void {
    const [head, member] = tool.parts;
    this.valueName(head!, "tool");
    const found = this.references.get(head!);
    if (found === undefined) return;
    if (member === undefined) this.references.set(tool, found);
    else if (found.kind === "namespace") this.member(found, member, tool);
  }

  /** `git.diff`: a function declared in the namespace, or FL0202 with the nearest member. */
  private member(space: Extract<Binding, { kind: "namespace" }>, field: A.Ident, at: A.FieldExpr | A.QualifiedName): void {
    const decl = space.members.get(field.name);
    if (decl !== undefined) {
      this.references.set(at, { kind: "declaration", decl, module: space.module });
      return;
    }
    const names = [...space.members.keys()];
    const close = closestName(field.name, names);
    this.report("FL0202", field.span, {
      message: `\`${space.name}\` has no function \`${field.name}\``,
      label: close === undefined ? "unknown function" : `did you mean \`${close}\`?`,
      help: `\`${space.name}\` (from \`${space.module}\`) has ${names.map((n) => `\`${space.name}.${n}\``).join(", ")}`,
    });
  }

  private modelRoute(route: A.Ident): void {
    const found = this.top.get(route.name);
    if (found !== undefined) this.used.add(route.name);
    if (found !== undefined && (found.binding.kind === "unresolved" || (found.binding.kind === "declaration" && found.binding.decl.kind === "ModelsDecl"))) {
      this.references.set(route, found.binding);
      return;
    }
    const routes = [...this.top].filter(([, e]) => e.binding.kind === "declaration" && e.binding.decl.kind === "ModelsDecl").map(([n]) => n);
    const close = closestName(route.name, routes);
    this.report("FL0202", route.span, {
      message: `there is no model route \`${route.name}\``,
      label: close === undefined ? "unknown model route" : `did you mean \`${close}\`?`,
      help: 'declare it with `models NAME = ["provider:model", …]`, or list the models here: `models ["anthropic:claude-sonnet-4-5"]`',
    });
  }

  private failureKind(kind: A.Ident): void {
    if (stdFailureKindSet.has(kind.name) || this.failureKinds().has(kind.name)) return;
    const close = closestName(kind.name, [...this.failureKinds()]);
    this.report("FL0206", kind.span, {
      message: `\`${kind.name}\` is not a failure kind`,
      label: close === undefined ? "unknown failure kind" : `did you mean \`${close}\`?`,
      help: `std's kinds are ${stdFailureKinds.map((k) => `\`${k}\``).join(", ")}; a program adds its own with \`fail Kind("…")\``,
    });
  }

  private define(name: A.Ident, binding: Binding): void {
    // Types and model routes stand where no value can: a value may share their name.
    const earlier = this.scopes.peek(name.name);
    if (earlier !== undefined && isValue(earlier.binding)) {
      this.report("FL0205", name.span, {
        message: `\`${name.name}\` is already defined: it is ${article(describe(earlier.binding))}`,
        label: "defined again here",
        secondary: [{ span: earlier.span, label: "first defined here" }],
        help: "give it a name of its own: a name means one thing wherever it is visible",
      });
    }
    this.scopes.define(name.name, { binding, span: name.span });
  }

  private report(code: "FL0202" | "FL0203" | "FL0205" | "FL0206", span: Span, text: { message: string; label: string; help: string; secondary?: { span: Span; label: string }[] }): void {
    this.diagnostics.push(syntaxError(this.module.source, code, span, text));
  }
}

/** Words other languages use where flow has an operator or a literal. */
const foreignWords: Readonly<Record<string, string>> = {
  and: "&&",
  or: "||",
  not: "!",
  True: "true",
  False: "false",
  None: "null",
  nil: "null",
  undefined: "null",
  Null: "null",
};

/** Whether a name stands for a value (a namespace counts: only its members are values, which the checker says). */
function isValue(binding: Binding): boolean {
  return !(
    binding.kind === "primitive" ||
    binding.kind === "typeParam" ||
    (binding.kind === "declaration" && (binding.decl.kind === "TypeDecl" || binding.decl.kind === "ModelsDecl"))
  );
}

/** A name the standard library declares, used without its import: say which import brings it. */
function importHint(name: string): string | undefined {
  const home = stdModuleDeclaring(name);
  return home === undefined ? undefined : `\`${name}\` is declared in \`${home}\`: import it with \`import { ${name} } from "${home}"\``;
}
