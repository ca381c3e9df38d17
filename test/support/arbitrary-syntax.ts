import fc from "fast-check";
import type * as A from "../../language/ast.ts";

/**
 * Random well-formed syntax trees for property tests. Spans are dummies:
 * trees are compared with spans stripped. The trees respect what the
 * parser normalises (adjacent text parts merged, no empty text parts,
 * block-string lines that hold only spaces are empty) and the placement
 * rules, so that printing one and parsing it back must give it again.
 *
 * Names avoid every keyword, contextual ones included: `show`, `by`,
 * `timeout` or `limit` as the first word of a statement can legitimately
 * be read as part of the statement before it, which is a property of the
 * language, tested on its own, not of the printer.
 */
const S: A.Ident["span"] = { start: 0, end: 0 };

const keywords = new Set(
  "import type node agent verifier workflow fn let if else for in return true false null as verify approve sleep wait checkpoint fail from models effects grants budget retry backoff cap on timeout gate sandbox tools prompt concurrency tolerate limit show by default signal max cost List".split(
    " ",
  ),
);

const nameText = fc
  .tuple(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz_"), fc.stringMatching(/^[a-z0-9_]{0,6}$/))
  .map(([head, tail]) => head + tail)
  .filter((n) => !keywords.has(n));

const typeNameText = fc
  .tuple(fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"), fc.stringMatching(/^[a-zA-Z0-9]{0,6}$/))
  .map(([head, tail]) => head + tail)
  .filter((n) => !keywords.has(n));

const ident = (text: fc.Arbitrary<string> = nameText): fc.Arbitrary<A.Ident> => text.map((name) => ({ kind: "Ident", name, span: S }));

// ── literals ──

const numberLit: fc.Arbitrary<A.NumberLit> = fc.oneof(
  fc.nat({ max: 100000 }).map((n) => ({ kind: "NumberLit" as const, raw: String(n), value: n, integer: true, span: S })),
  fc.tuple(fc.nat({ max: 999 }), fc.stringMatching(/^[0-9]{1,3}$/)).map(([whole, frac]) => {
    const raw = `${whole}.${frac}`;
    return { kind: "NumberLit" as const, raw, value: Number(raw), integer: false, span: S };
  }),
);

const quantityLit: fc.Arbitrary<A.QuantityLit> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom(["k", 1e3], ["M", 1e6], ["G", 1e9])).map(([n, [unit, factor]]) => ({
    kind: "QuantityLit" as const,
    raw: `${n}${unit}`,
    dimension: "tokens" as const,
    value: n * (factor as number),
    span: S,
  })),
  fc
    .tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom(["ms", 1], ["s", 1e3], ["m", 6e4], ["h", 3.6e6], ["d", 8.64e7]))
    .map(([n, [unit, factor]]) => ({
      kind: "QuantityLit" as const,
      raw: `${n}${unit}`,
      dimension: "duration" as const,
      value: n * (factor as number),
      span: S,
    })),
  // A compound duration (`1h30m`): two to five of the units, largest first.
  fc
    .subarray(
      [
        ["d", 8.64e7],
        ["h", 3.6e6],
        ["m", 6e4],
        ["s", 1e3],
        ["ms", 1],
      ] as const,
      { minLength: 2 },
    )
    .chain((units) => fc.tuple(fc.constant(units), fc.array(fc.integer({ min: 0, max: 99 }), { minLength: units.length, maxLength: units.length })))
    .map(([units, counts]) => ({
      kind: "QuantityLit" as const,
      raw: units.map(([unit], i) => `${counts[i]}${unit}`).join(""),
      dimension: "duration" as const,
      value: units.reduce((sum, [, factor], i) => sum + counts[i]! * factor, 0),
      span: S,
    })),
  fc.tuple(fc.nat({ max: 9999 }), fc.constantFrom("", ".5", ".25", ".00")).map(([n, frac]) => ({
    kind: "QuantityLit" as const,
    raw: `$${n}${frac}`,
    dimension: "money" as const,
    value: Number(`${n}${frac || ".0"}`),
    span: S,
  })),
  fc.integer({ min: 0, max: 100 }).map((n) => ({ kind: "QuantityLit" as const, raw: `${n}%`, dimension: "percent" as const, value: n / 100, span: S })),
);

/** Text with the characters that need care: quotes, backslashes, dollars, braces, tabs, newlines, non-ASCII. */
const awkwardText = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 .,:;!?-]{1,8}$/) },
      { weight: 1, arbitrary: fc.constantFrom('"', "\\", "$", "${", "{", "}", "\t", "\n", "é", "😀", '"""', "\r", "\u0001", "  ") },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((pieces) => pieces.join(""));

function stringLit(expr: fc.Arbitrary<A.Expr>, block: boolean, allowInterpolation: boolean): fc.Arbitrary<A.StringLit> {
  const part: fc.Arbitrary<{ text: string } | { expr: A.Expr }> = allowInterpolation
    ? fc.oneof({ weight: 3, arbitrary: awkwardText.map((text) => ({ text })) }, { weight: 1, arbitrary: expr.map((e) => ({ expr: e })) })
    : awkwardText.map((text) => ({ text }));
  return fc.array(part, { maxLength: 4 }).map((raw) => {
    const parts: A.StringPart[] = [];
    for (const piece of raw) {
      if ("expr" in piece) {
        parts.push({ kind: "InterpolationPart", expr: piece.expr, span: S });
        continue;
      }
      const text = block ? normaliseBlockText(piece.text) : piece.text;
      const last = parts[parts.length - 1];
      if (last?.kind === "TextPart") parts[parts.length - 1] = { ...last, value: last.value + text };
      else parts.push({ kind: "TextPart", value: text, span: S });
    }
    return { kind: "StringLit" as const, block, parts: parts.filter((p) => p.kind !== "TextPart" || p.value !== ""), span: S };
  });
}

/** Block strings keep no `\r` line ends and no lines of only spaces: the parser normalises both. */
function normaliseBlockText(text: string): string {
  return text
    .replace(/\r/g, "")
    .split("\n")
    .map((line) => (/^[ \t]*$/.test(line) ? "" : line))
    .join("\n");
}

const plainString = (allowEmpty = true) =>
  fc.stringMatching(allowEmpty ? /^[a-z0-9/._ -]{0,12}$/ : /^[a-z0-9/._-]{1,12}$/).map(
    (text): A.StringLit => ({ kind: "StringLit", block: false, parts: text === "" ? [] : [{ kind: "TextPart", value: text, span: S }], span: S }),
  );

// ── types ──

const typeExpr: fc.Arbitrary<A.TypeExpr> = fc.letrec<{ type: A.TypeExpr; atom: A.TypeExpr }>((tie) => ({
  type: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: tie("atom") },
    {
      weight: 1,
      arbitrary: fc
        .array(
          fc.stringMatching(/^[a-z]{1,8}$/).map((value): A.TypeExpr => ({ kind: "LiteralType", value, span: S })),
          { minLength: 2, maxLength: 4 },
        )
        .map((members): A.TypeExpr => ({ kind: "UnionType", members, span: S })),
    },
  ),
  atom: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.constantFrom("string", "int", "float", "bool", "duration", "json"), typeNameText).map(
      (name): A.TypeExpr => ({ kind: "NamedType", name: { kind: "Ident", name, span: S }, span: S }),
    ),
    fc
      .tuple(tie("atom"), fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }))
      .map(([element, max]): A.TypeExpr => ({
        kind: "ListType",
        element,
        max: max === null ? null : { kind: "NumberLit", raw: String(max), value: max, integer: true, span: S },
        span: S,
      })),
    fc
      .uniqueArray(fc.tuple(nameText, tie("type")), { maxLength: 3, selector: ([n]) => n })
      .map(
        (fields): A.TypeExpr => ({
          kind: "RecordType",
          fields: fields.map(([name, type]) => ({ kind: "RecordTypeField", name: { kind: "Ident", name, span: S }, type, span: S })),
          span: S,
        }),
      ),
    tie("atom")
      .filter((inner) => inner.kind !== "OptionalType")
      .map((inner): A.TypeExpr => ({ kind: "OptionalType", inner, span: S })),
  ),
})).type;

// ── expressions ──

const binaryOps: A.BinaryOp[] = ["??", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/"];

export type BodyKind = "workflow" | "node" | "verifier";

/** Expressions; `wait signal` only where a workflow may park. */
function expressions(body: BodyKind) {
  return fc.letrec<{ expr: A.Expr; block: A.Block; stmt: A.Stmt }>((tie) => {
    const expr = tie("expr");
    return {
      expr: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        { weight: 6, arbitrary: fc.oneof(numberLit, quantityLit) },
        { weight: 6, arbitrary: nameText.map((name): A.Expr => ({ kind: "NameExpr", name, span: S })) },
        { weight: 1, arbitrary: fc.constantFrom<A.Expr>({ kind: "BoolLit", value: true, span: S }, { kind: "BoolLit", value: false, span: S }, { kind: "NullLit", span: S }) },
        { weight: 2, arbitrary: fc.boolean().chain((block) => stringLit(expr, block, true)) },
        {
          weight: 1,
          arbitrary: fc.uniqueArray(fc.tuple(fc.oneof(nameText, fc.constantFrom("type", "for", "node", "if")), expr), { maxLength: 3, selector: ([n]) => n }).map(
            (fields): A.Expr => ({
              kind: "RecordExpr",
              fields: fields.map(([name, value]) => ({ kind: "RecordField", name: { kind: "Ident", name, span: S }, value, span: S })),
              span: S,
            }),
          ),
        },
        { weight: 1, arbitrary: fc.array(expr, { maxLength: 3 }).map((items): A.Expr => ({ kind: "ListExpr", items, span: S })) },
        {
          weight: 2,
          arbitrary: fc.tuple(expr, fc.oneof(nameText, fc.constantFrom("type", "json", "lines"))).map(
            ([object, field]): A.Expr => ({ kind: "FieldExpr", object, field: { kind: "Ident", name: field, span: S }, span: S }),
          ),
        },
        {
          weight: 3,
          arbitrary: fc
            .tuple(expr, fc.array(fc.tuple(fc.option(nameText, { nil: null }), expr), { maxLength: 3 }))
            .map(
              ([callee, args]): A.Expr => ({
                kind: "CallExpr",
                callee,
                args: args.map(([name, value]) => ({ kind: "Arg", name: name === null ? null : { kind: "Ident", name, span: S }, value, span: S })),
                span: S,
              }),
            ),
        },
        {
          weight: 2,
          arbitrary: fc
            .tuple(fc.constantFrom<A.UnaryOp>("!", "-"), expr)
            .map(([op, operand]): A.Expr => ({ kind: "UnaryExpr", op, operand, span: S })),
        },
        {
          weight: 4,
          arbitrary: fc
            .tuple(fc.constantFrom(...binaryOps), expr, expr)
            .map(([op, left, right]): A.Expr => ({ kind: "BinaryExpr", op, left, right, span: S })),
        },
        { weight: 1, arbitrary: fc.tuple(expr, typeExpr).map(([e, type]): A.Expr => ({ kind: "CastExpr", expr: e, type, span: S })) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.uniqueArray(nameText, { maxLength: 3 }), expr)
            .map(([params, bodyExpr]): A.Expr => ({ kind: "LambdaExpr", params: params.map((name) => ({ kind: "Ident", name, span: S })), body: bodyExpr, span: S })),
        },
        {
          weight: 1,
          arbitrary: fc
            .record({
              binding: ident(),
              iterable: expr,
              concurrency: fc.option(expr, { nil: null }),
              tolerate: fc.option(expr, { nil: null }),
              limit: fc.option(expr, { nil: null }),
              body: tie("block"),
            })
            .map((f): A.Expr => ({ kind: "ForExpr", ...f, span: S })),
        },
        ...(body === "workflow"
          ? [
              {
                weight: 1,
                arbitrary: fc
                  .tuple(plainString(), typeExpr, fc.option(expr, { nil: null }))
                  .map(([name, type, timeout]): A.Expr => ({ kind: "WaitSignalExpr", name, type, timeout, span: S })),
              },
            ]
          : []),
      ),
      block: fc.array(tie("stmt"), { maxLength: 4 }).map((stmts): A.Block => ({ kind: "Block", stmts, span: S })),
      stmt: statement(body, expr, tie("block"), tie("stmt")),
    };
  });
}

function statement(body: BodyKind, expr: fc.Arbitrary<A.Expr>, block: fc.Arbitrary<A.Block>, stmt: fc.Arbitrary<A.Stmt>): fc.Arbitrary<A.Stmt> {
  const common: fc.WeightedArbitrary<A.Stmt>[] = [
    {
      weight: 4,
      arbitrary: fc
        .tuple(ident(), fc.option(typeExpr, { nil: null }), expr)
        .map(([name, type, value]): A.Stmt => ({ kind: "LetStmt", name, type, value, span: S })),
    },
    { weight: 2, arbitrary: expr.filter(startsStatementSafely).map((e): A.Stmt => ({ kind: "ExprStmt", expr: e, span: S })) },
    { weight: 1, arbitrary: expr.map((value): A.Stmt => ({ kind: "ReturnStmt", value, span: S })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(expr, block, fc.option(fc.oneof(block, stmt.filter((s): s is A.IfStmt => s.kind === "IfStmt")), { nil: null }))
        .map(([cond, then, otherwise]): A.Stmt => ({ kind: "IfStmt", cond, then, else: otherwise, span: S })),
    },
  ];
  const failStmt: fc.WeightedArbitrary<A.Stmt> = {
    weight: 1,
    arbitrary: fc.tuple(ident(typeNameText), expr).map(([errorKind, message]): A.Stmt => ({ kind: "FailStmt", errorKind, message, span: S })),
  };
  switch (body) {
    case "node":
      return fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        ...common,
        failStmt,
        { weight: 1, arbitrary: plainString().map((label): A.Stmt => ({ kind: "CheckpointStmt", label, span: S })) },
      );
    case "verifier":
      return fc.oneof({ depthSize: "small", withCrossShrink: true }, ...common);
    case "workflow":
      return fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        ...common,
        failStmt,
        { weight: 1, arbitrary: fc.tuple(expr, expr).map(([check, message]): A.Stmt => ({ kind: "VerifyStmt", check, message, span: S })) },
        {
          weight: 1,
          arbitrary: fc
            .record({
              name: plainString(),
              show: fc.option(expr, { nil: null }),
              by: fc.option(plainString(), { nil: null }),
              timeout: fc.option(expr, { nil: null }),
              fallback: fc.option(fc.constantFrom<A.GateDefault>("approve", "reject"), { nil: null }),
            })
            .map(
              (f): A.Stmt => ({
                kind: "ApproveStmt",
                name: f.name,
                show: f.show,
                by: f.by,
                timeout: f.timeout,
                default: f.timeout === null || f.fallback === null ? null : { value: f.fallback, span: S },
                span: S,
              }),
            ),
        },
        { weight: 1, arbitrary: expr.map((duration): A.Stmt => ({ kind: "SleepStmt", duration, span: S })) },
      );
  }
}

/**
 * An expression statement is printed on a line of its own. If it began
 * with `-` it would continue the previous line's expression (`a` then
 * `-b` reads as `a - b`); if it began with `(` it would still start a new
 * statement, but a lambda statement is pointless. Such statements are
 * pointless anyway (their value is discarded), so they are not generated.
 */
function startsStatementSafely(expr: A.Expr): boolean {
  switch (expr.kind) {
    case "UnaryExpr":
      return expr.op !== "-";
    case "BinaryExpr":
      return startsStatementSafely(expr.left);
    case "CastExpr":
      return startsStatementSafely(expr.expr);
    case "CallExpr":
      return startsStatementSafely(expr.callee);
    case "FieldExpr":
      return startsStatementSafely(expr.object);
    case "LambdaExpr":
      return false;
    default:
      return true;
  }
}

// ── clauses and declarations ──

const effectRef: fc.Arbitrary<A.EffectRef> = fc
  .tuple(fc.constantFrom(["fs", "read"], ["fs", "write"], ["proc"], ["net"], ["llm"], ["clock"]), fc.option(plainString(false), { nil: null }))
  .map(([path, scope]) => ({ kind: "EffectRef", path: path.map((name) => ({ kind: "Ident" as const, name, span: S })), scope, span: S }));

const budgetClause: fc.Arbitrary<A.Clause> = fc
  .uniqueArray(fc.tuple(fc.constantFrom("tokens", "usd", "compute", "wall"), fc.oneof(numberLit, quantityLit)), { minLength: 1, maxLength: 4, selector: ([k]) => k })
  .map((entries) => ({
    kind: "BudgetClause",
    entries: entries.map(([key, value]) => ({ kind: "BudgetEntry" as const, key: { kind: "Ident" as const, name: key, span: S }, value, span: S })),
    span: S,
  }));

/** A std `fn`'s cost model: a constant, or the name of one of its parameters (any name, as far as syntax goes). */
const costClause: fc.Arbitrary<A.Clause> = fc
  .uniqueArray(
    fc.tuple(fc.constantFrom("tokens", "usd", "compute", "wall"), fc.oneof(numberLit, quantityLit, ident())),
    { minLength: 1, maxLength: 4, selector: ([k]) => k },
  )
  .map((entries) => ({
    kind: "CostClause",
    entries: entries.map(([key, value]) => ({ kind: "CostEntry" as const, key: { kind: "Ident" as const, name: key, span: S }, value, span: S })),
    span: S,
  }));

function clauses(kind: A.CallableDecl["kind"], expr: fc.Arbitrary<A.Expr>): fc.Arbitrary<A.Clause[]> {
  const effects = fc.array(effectRef, { maxLength: 3 });
  const all: Record<A.Clause["kind"], fc.Arbitrary<A.Clause>> = {
    EffectsClause: effects.map((e) => ({ kind: "EffectsClause", effects: e, span: S })),
    GrantsClause: effects.map((e) => ({ kind: "GrantsClause", effects: e, span: S })),
    BudgetClause: budgetClause,
    RetryClause: fc
      .record({
        attempts: fc.nat({ max: 9 }),
        backoff: fc.option(fc.tuple(fc.constantFrom("exp", "fixed", "linear"), expr, fc.option(expr, { nil: null })), { nil: null }),
        on: fc.option(fc.array(ident(typeNameText), { maxLength: 3 }), { nil: null }),
      })
      .map((r) => ({
        kind: "RetryClause",
        attempts: { kind: "NumberLit", raw: String(r.attempts), value: r.attempts, integer: true, span: S },
        backoff: r.backoff === null ? null : { kind: "Backoff", strategy: { kind: "Ident", name: r.backoff[0], span: S }, base: r.backoff[1], cap: r.backoff[2], span: S },
        on: r.on,
        span: S,
      })),
    TimeoutClause: expr.map((duration) => ({ kind: "TimeoutClause", duration, span: S })),
    GateClause: plainString().map((name) => ({ kind: "GateClause", name, span: S })),
    SandboxClause: plainString().map((profile) => ({ kind: "SandboxClause", profile, span: S })),
    ModelsClause: fc
      .oneof(
        ident(),
        fc.array(plainString(false), { maxLength: 3 }).map((items): A.ListExpr => ({ kind: "ListExpr", items, span: S })),
      )
      .map((route) => ({ kind: "ModelsClause", route, span: S })),
    ToolsClause: fc
      .array(fc.array(ident(), { minLength: 1, maxLength: 2 }), { maxLength: 3 })
      .map((tools) => ({ kind: "ToolsClause", tools: tools.map((parts) => ({ kind: "QualifiedName" as const, parts, span: S })), span: S })),
    PromptClause: fc.boolean().chain((block) => stringLit(expr, block, true)).map((text) => ({ kind: "PromptClause", text, span: S })),
    CostClause: costClause,
  };
  const allowed: Record<A.CallableDecl["kind"], A.Clause["kind"][]> = {
    NodeDecl: ["EffectsClause", "BudgetClause", "RetryClause", "TimeoutClause", "GateClause", "SandboxClause"],
    AgentDecl: ["ModelsClause", "ToolsClause", "PromptClause", "EffectsClause", "BudgetClause", "RetryClause", "TimeoutClause", "GateClause", "SandboxClause"],
    VerifierDecl: ["EffectsClause", "BudgetClause", "TimeoutClause"],
    WorkflowDecl: ["GrantsClause", "BudgetClause", "TimeoutClause"],
  };
  // An agent must have its prompt (FL0123); the rest are optional.
  const required: A.Clause["kind"][] = kind === "AgentDecl" ? ["PromptClause"] : [];
  const optional = allowed[kind].filter((k) => !required.includes(k));
  return fc
    .shuffledSubarray(optional, { maxLength: Math.min(4, optional.length) })
    .chain((picked) => fc.shuffledSubarray([...picked, ...required], { minLength: picked.length + required.length }))
    .chain((kinds) => (kinds.length === 0 ? fc.constant([]) : fc.tuple(...kinds.map((k) => all[k]))));
}

const params: fc.Arbitrary<A.Param[]> = fc
  .uniqueArray(fc.tuple(nameText, typeExpr), { maxLength: 3, selector: ([n]) => n })
  .map((ps) => ps.map(([name, type]) => ({ kind: "Param" as const, name: { kind: "Ident" as const, name, span: S }, type, span: S })));

function callable(kind: A.CallableDecl["kind"]): fc.Arbitrary<A.Decl> {
  const body: BodyKind = kind === "WorkflowDecl" ? "workflow" : kind === "VerifierDecl" ? "verifier" : "node";
  const { block } = expressions(body);
  // Clauses are evaluated outside any body, so they hold nothing that parks a run.
  const clauseExpr = expressions("verifier").expr;
  return fc
    .record({ name: ident(), params, returnType: typeExpr, clauses: clauses(kind, clauseExpr), body: block })
    .map((d): A.Decl => {
      const common = { name: d.name, params: d.params, returnType: d.returnType, clauses: d.clauses, span: S };
      return kind === "AgentDecl" ? { kind, ...common } : { kind, ...common, body: d.body };
    });
}

/**
 * The types of a std `fn`'s signature: any type, its type parameters,
 * function types (also under `?` and in a union, where the printer must
 * parenthesize them, since their result would take the `?` or `|`), and
 * lists bounded by a name (`List<T, max n>`).
 */
function signatureType(typeVars: readonly string[]): fc.Arbitrary<A.TypeExpr> {
  const named = (name: string): A.TypeExpr => ({ kind: "NamedType", name: { kind: "Ident", name, span: S }, span: S });
  return fc.letrec<{ type: A.TypeExpr; fn: A.TypeExpr }>((tie) => ({
    type: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      { weight: 3, arbitrary: typeExpr },
      ...(typeVars.length === 0 ? [] : [{ weight: 3, arbitrary: fc.constantFrom(...typeVars).map(named) }]),
      {
        weight: 2,
        arbitrary: fc
          .tuple(tie("type"), fc.option(fc.oneof(ident(), fc.integer({ min: 1, max: 1000 })), { nil: null }))
          .map(([element, max]): A.TypeExpr => ({
            kind: "ListType",
            element,
            max: max === null || typeof max !== "number" ? max : { kind: "NumberLit", raw: String(max), value: max, integer: true, span: S },
            span: S,
          })),
      },
      { weight: 1, arbitrary: tie("fn") },
      { weight: 1, arbitrary: tie("fn").map((inner): A.TypeExpr => ({ kind: "OptionalType", inner, span: S })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(tie("fn"), typeExpr.filter((t) => t.kind !== "UnionType"))
          .map((members): A.TypeExpr => ({ kind: "UnionType", members, span: S })),
      },
    ),
    fn: fc
      .tuple(fc.array(tie("type"), { maxLength: 3 }), tie("type"))
      .map(([params, result]): A.TypeExpr => ({ kind: "FunctionType", params, result, span: S })),
  })).type;
}

/** `fn git.diff<T, N: number>(…) -> T` with only the clauses a `fn` takes: `effects` and `cost`. */
const fnDecl: fc.Arbitrary<A.Decl> = fc
  .uniqueArray(fc.tuple(typeNameText, fc.option(fc.constantFrom("number", "ordered"), { nil: null })), { maxLength: 3, selector: ([n]) => n })
  .chain((typeParams) => {
    const type = signatureType(typeParams.map(([name]) => name));
    return fc.record({
      namespace: fc.option(ident(), { nil: null }),
      name: ident(),
      typeParams: fc.constant(
        typeParams.map(([name, constraint]): A.TypeParam => ({
          kind: "TypeParam",
          name: { kind: "Ident", name, span: S },
          constraint: constraint === null ? null : { kind: "Ident", name: constraint, span: S },
          span: S,
        })),
      ),
      params: fc
        .uniqueArray(fc.tuple(nameText, type), { maxLength: 3, selector: ([n]) => n })
        .map((ps) => ps.map(([name, t]): A.Param => ({ kind: "Param", name: { kind: "Ident", name, span: S }, type: t, span: S }))),
      returnType: type,
      clauses: fc
        .shuffledSubarray(["effects", "cost"] as const)
        .chain((kinds): fc.Arbitrary<A.Clause[]> =>
          kinds.length === 0
            ? fc.constant([])
            : fc.tuple(
                ...kinds.map((k) =>
                  k === "cost" ? costClause : fc.array(effectRef, { maxLength: 3 }).map((effects): A.Clause => ({ kind: "EffectsClause", effects, span: S })),
                ),
              ),
        ),
    });
  })
  .map((d): A.Decl => ({ kind: "FnDecl", ...d, span: S }));

const declaration: fc.Arbitrary<A.Decl> = fc.oneof(
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(ident(), fc.option(ident(), { nil: null })), { minLength: 1, maxLength: 3, selector: ([n]) => n.name }),
      plainString(false),
    )
    .map(
      ([names, from]): A.Decl => ({
        kind: "ImportDecl",
        names: names.map(([name, alias]) => ({ kind: "ImportName", name, alias, span: S })),
        from,
        span: S,
      }),
    ),
  fc.tuple(ident(typeNameText), typeExpr).map(([name, type]): A.Decl => ({ kind: "TypeDecl", name, type, span: S })),
  fc.tuple(ident(), fc.array(plainString(false), { maxLength: 3 })).map(([name, models]): A.Decl => ({ kind: "ModelsDecl", name, models, span: S })),
  callable("NodeDecl"),
  callable("AgentDecl"),
  callable("VerifierDecl"),
  callable("WorkflowDecl"),
  fnDecl,
);

export const arbitraryProgram: fc.Arbitrary<A.Program> = fc
  .array(declaration, { minLength: 1, maxLength: 4 })
  .map((decls) => ({ kind: "Program", decls, span: S }));

/** A tree without positions, for comparing trees that came from different text. */
export function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (key !== "span") out[key] = withoutSpans(v);
    return out;
  }
  return value;
}
