import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as A from "../language/ast.ts";
import { formatProgram } from "../language/format/format.ts";
import { parse } from "../language/parse.ts";
import { numericMeaning } from "../language/quantities.ts";
import { SourceFile } from "../language/source-file.ts";
import { withoutSpans } from "./support/arbitrary-syntax.ts";

/**
 * Random syntax trees, printed and parsed back: the tree must come back
 * unchanged (print∘parse is the identity), formatting the output again
 * must change nothing, and no line may end in whitespace. A second
 * property sprinkles comments between the tokens of a formatted program:
 * every comment must survive, the tree must not change, and the result
 * must be stable.
 */

const span = { start: 0, end: 0 };
const runs = Number(process.env["FLOW_FORMAT_RUNS"] ?? 300);
const timeout = Math.max(60_000, runs * 100);

/**
 * Placement problems (a clause or statement where it is not allowed, an
 * agent without a prompt) leave the tree whole: printing it is still defined.
 */
const placementCodes = new Set(["FL0118", "FL0119", "FL0120", "FL0123"]);


function parseClean(text: string): ReturnType<typeof parse> {
  const result = parse(new SourceFile("test.flow", text));
  const errors = result.diagnostics.filter((d) => !placementCodes.has(d.code));
  if (errors.length > 0) {
    throw new Error(
      `does not parse:\n${text}\n${errors.map((d) => `${d.code} ${d.message} @${d.primary.span.start}`).join("\n")}`,
    );
  }
  return result;
}

// ───────────────────────────── generators ─────────────────────────────

const ident = (name: string): A.Ident => ({ kind: "Ident", name, span });

/** Contextual keywords are ordinary names outside their clause, so they appear here on purpose. */
const nameArb = fc.constantFrom(
  "a",
  "b",
  "xs",
  "item",
  "foo_bar",
  "x1",
  "timeout",
  "by",
  "show",
  "default",
  "limit",
  "max",
  "signal",
  "models",
  "from",
  "on",
  "cap",
  "List",
);
/** Field names may be any word, reserved ones included. */
const fieldNameArb = fc.oneof(nameArb, fc.constantFrom("type", "node", "import", "let", "if", "true", "workflow"));
const typeNameArb = fc.constantFrom("int", "string", "float", "bool", "Package", "List", "Review");
const kindNameArb = fc.constantFrom("Timeout", "Transient", "Conflict");

function numeric(raw: string): A.NumberLit | A.QuantityLit {
  const meaning = numericMeaning(raw);
  if (meaning.kind === "number") return { kind: "NumberLit", raw, value: meaning.value, integer: meaning.integer, span };
  if (meaning.kind === "quantity") return { kind: "QuantityLit", raw, dimension: meaning.dimension, value: meaning.value, span };
  throw new Error(`bad numeric ${raw}`);
}
const intRawArb = fc.constantFrom("0", "3", "42", "200");
const numberArb = fc.constantFrom("0", "3", "42", "0.8", "2.00", "10").map(numeric);
const quantityArb = fc.constantFrom("200k", "2M", "1.5G", "30s", "5m", "2h", "7d", "100ms", "$0.60", "$5", "5%").map(numeric);
const intLitArb = intRawArb.map((raw) => numeric(raw) as A.NumberLit);

const charArb = fc.constantFrom(
  "a",
  "b",
  " ",
  " ",
  "\n",
  "\t",
  '"',
  '"',
  "\\",
  "$",
  "{",
  "}",
  "\r",
  "\u0001",
  "é",
  "😀",
  "\u2028",
  "\u00a0",
);
const textArb = fc.array(charArb, { maxLength: 12 }).map((cs) => cs.join(""));

/** Adjacent text parts are merged and empty ones dropped, as the parser does. */
function normalizeParts(parts: readonly A.StringPart[]): A.StringPart[] {
  const out: A.StringPart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (part.kind === "TextPart") {
      if (part.value === "") continue;
      if (last?.kind === "TextPart") {
        out[out.length - 1] = { kind: "TextPart", value: last.value + part.value, span };
        continue;
      }
    }
    out.push(part);
  }
  return out;
}

function stringArb(exprArb: fc.Arbitrary<A.Expr> | null): fc.Arbitrary<A.StringLit> {
  const text = textArb.map((value): A.StringPart => ({ kind: "TextPart", value, span }));
  const part =
    exprArb === null
      ? text
      : fc.oneof(
          { weight: 3, arbitrary: text },
          { weight: 1, arbitrary: exprArb.map((expr): A.StringPart => ({ kind: "InterpolationPart", expr, span })) },
        );
  return fc.record({ block: fc.boolean(), parts: fc.array(part, { maxLength: 4 }) }).map(({ block, parts }) => ({
    kind: "StringLit",
    block,
    parts: normalizeParts(parts),
    span,
  }));
}
const constStringArb = stringArb(null);

function typeArb(depth: number): fc.Arbitrary<A.TypeExpr> {
  const named = typeNameArb.map((name): A.TypeExpr => ({ kind: "NamedType", name: ident(name), span }));
  const literal = textArb.map((value): A.TypeExpr => ({ kind: "LiteralType", value, span }));
  if (depth <= 0) return fc.oneof(named, literal);
  const inner = typeArb(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: named },
    { weight: 1, arbitrary: literal },
    {
      weight: 1,
      arbitrary: fc
        .record({ element: inner, max: fc.option(intLitArb, { nil: null }) })
        .map(({ element, max }): A.TypeExpr => ({ kind: "ListType", element, max, span })),
    },
    {
      weight: 1,
      arbitrary: fc.array(fc.record({ name: fieldNameArb, type: inner }), { maxLength: 3 }).map((fields): A.TypeExpr => ({
        kind: "RecordType",
        fields: fields.map((f) => ({ kind: "RecordTypeField", name: ident(f.name), type: f.type, span })),
        span,
      })),
    },
    { weight: 1, arbitrary: inner.map((t): A.TypeExpr => ({ kind: "OptionalType", inner: t, span })) },
    {
      weight: 1,
      arbitrary: fc
        .array(inner, { minLength: 2, maxLength: 3 })
        .map((members): A.TypeExpr => ({ kind: "UnionType", members, span })),
    },
  );
}

const binaryOps: A.BinaryOp[] = ["??", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/"];

function blockArb(depth: number): fc.Arbitrary<A.Block> {
  return fc.array(stmtArb(depth), { maxLength: 3 }).map((stmts) => ({ kind: "Block", stmts, span }));
}

const exprCache = new Map<number, fc.Arbitrary<A.Expr>>();
function exprArb(depth: number): fc.Arbitrary<A.Expr> {
  const cached = exprCache.get(depth);
  if (cached !== undefined) return cached;
  const leaves: fc.Arbitrary<A.Expr>[] = [
    numberArb,
    quantityArb,
    fc.boolean().map((value): A.Expr => ({ kind: "BoolLit", value, span })),
    fc.constant<A.Expr>({ kind: "NullLit", span }),
    nameArb.map((name): A.Expr => ({ kind: "NameExpr", name, span })),
    constStringArb,
  ];
  if (depth <= 0) {
    const leaf = fc.oneof(...leaves);
    exprCache.set(depth, leaf);
    return leaf;
  }
  const sub = exprArb(depth - 1);
  const arb = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...leaves) },
    { weight: 1, arbitrary: stringArb(sub) },
    {
      weight: 1,
      arbitrary: fc.array(fc.record({ name: fieldNameArb, value: sub }), { maxLength: 3 }).map((fields): A.Expr => ({
        kind: "RecordExpr",
        fields: fields.map((f) => ({ kind: "RecordField", name: ident(f.name), value: f.value, span })),
        span,
      })),
    },
    { weight: 1, arbitrary: fc.array(sub, { maxLength: 3 }).map((items): A.Expr => ({ kind: "ListExpr", items, span })) },
    {
      weight: 2,
      arbitrary: fc
        .record({ object: sub, field: fieldNameArb })
        .map(({ object, field }): A.Expr => ({ kind: "FieldExpr", object, field: ident(field), span })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          callee: sub,
          args: fc.array(fc.record({ name: fc.option(nameArb, { nil: null }), value: sub }), { maxLength: 3 }),
        })
        .map(({ callee, args }): A.Expr => ({
          kind: "CallExpr",
          callee,
          args: args.map((a) => ({ kind: "Arg", name: a.name === null ? null : ident(a.name), value: a.value, span })),
          span,
        })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ op: fc.constantFrom<A.UnaryOp>("!", "-"), operand: sub })
        .map(({ op, operand }): A.Expr => ({ kind: "UnaryExpr", op, operand, span })),
    },
    {
      weight: 4,
      arbitrary: fc
        .record({ op: fc.constantFrom(...binaryOps), left: sub, right: sub })
        .map(({ op, left, right }): A.Expr => ({ kind: "BinaryExpr", op, left, right, span })),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ expr: sub, type: typeArb(1) })
        .map(({ expr, type }): A.Expr => ({ kind: "CastExpr", expr, type, span })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ params: fc.uniqueArray(nameArb, { maxLength: 3 }), body: sub })
        .map(({ params, body }): A.Expr => ({ kind: "LambdaExpr", params: params.map(ident), body, span })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          binding: nameArb,
          iterable: sub,
          concurrency: fc.option(sub, { nil: null }),
          tolerate: fc.option(sub, { nil: null }),
          limit: fc.option(sub, { nil: null }),
          body: blockArb(depth - 1),
        })
        .map((f): A.Expr => ({ kind: "ForExpr", ...f, binding: ident(f.binding), span })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ name: constStringArb, type: typeArb(1), timeout: fc.option(sub, { nil: null }) })
        .map((f): A.Expr => ({ kind: "WaitSignalExpr", ...f, span })),
    },
  );
  exprCache.set(depth, arb);
  return arb;
}

const stmtCache = new Map<number, fc.Arbitrary<A.Stmt>>();
function stmtArb(depth: number): fc.Arbitrary<A.Stmt> {
  const cached = stmtCache.get(depth);
  if (cached !== undefined) return cached;
  const e = exprArb(Math.max(0, depth));
  const simple: fc.Arbitrary<A.Stmt>[] = [
    fc
      .record({ name: nameArb, type: fc.option(typeArb(1), { nil: null }), value: e })
      .map((f): A.Stmt => ({ kind: "LetStmt", name: ident(f.name), type: f.type, value: f.value, span })),
    e.map((expr): A.Stmt => ({ kind: "ExprStmt", expr, span })),
    e.map((value): A.Stmt => ({ kind: "ReturnStmt", value, span })),
    constStringArb.map((label): A.Stmt => ({ kind: "CheckpointStmt", label, span })),
    fc
      .record({ kind: kindNameArb, message: e })
      .map((f): A.Stmt => ({ kind: "FailStmt", errorKind: ident(f.kind), message: f.message, span })),
    fc.record({ check: e, message: e }).map((f): A.Stmt => ({ kind: "VerifyStmt", ...f, span })),
    fc
      .record({
        name: constStringArb,
        show: fc.option(e, { nil: null }),
        by: fc.option(constStringArb, { nil: null }),
        timeout: fc.option(e, { nil: null }),
        fallback: fc.option(fc.constantFrom<A.GateDefault>("approve", "reject"), { nil: null }),
      })
      .map((f): A.Stmt => ({
        kind: "ApproveStmt",
        name: f.name,
        show: f.show,
        by: f.by,
        timeout: f.timeout,
        // The grammar only allows `default` after `timeout`.
        default: f.timeout === null || f.fallback === null ? null : { value: f.fallback, span },
        span,
      })),
    e.map((duration): A.Stmt => ({ kind: "SleepStmt", duration, span })),
  ];
  const arb =
    depth <= 0
      ? fc.oneof(...simple)
      : fc.oneof({ weight: 8, arbitrary: fc.oneof(...simple) }, { weight: 1, arbitrary: ifArb(depth) });
  stmtCache.set(depth, arb);
  return arb;
}

function ifArb(depth: number): fc.Arbitrary<A.Stmt> {
  const block = blockArb(depth - 1);
  const elseArb: fc.Arbitrary<A.Block | A.IfStmt | null> = fc.oneof(
    fc.constant(null),
    block,
    fc
      .record({ cond: exprArb(depth - 1), then: block })
      .map((f): A.IfStmt => ({ kind: "IfStmt", cond: f.cond, then: f.then, else: null, span })),
  );
  return fc
    .record({ cond: exprArb(depth - 1), then: block, otherwise: elseArb })
    .map((f): A.Stmt => ({ kind: "IfStmt", cond: f.cond, then: f.then, else: f.otherwise, span }));
}

const effectArb = fc
  .record({ path: fc.array(fieldNameArb, { maxLength: 2 }), head: nameArb, scope: fc.option(constStringArb, { nil: null }) })
  .map(({ head, path, scope }): A.EffectRef => ({ kind: "EffectRef", path: [head, ...path].map(ident), scope, span }));

const clauseArb: fc.Arbitrary<A.Clause> = fc.oneof(
  fc.array(effectArb, { maxLength: 3 }).map((effects): A.Clause => ({ kind: "EffectsClause", effects, span })),
  fc.array(effectArb, { maxLength: 3 }).map((effects): A.Clause => ({ kind: "GrantsClause", effects, span })),
  fc.array(fc.record({ key: nameArb, value: fc.oneof(numberArb, quantityArb) }), { maxLength: 3 }).map((entries): A.Clause => ({
    kind: "BudgetClause",
    entries: entries.map((e) => ({ kind: "BudgetEntry", key: ident(e.key), value: e.value, span })),
    span,
  })),
  fc
    .record({
      attempts: intLitArb,
      backoff: fc.option(fc.record({ strategy: nameArb, base: exprArb(1), cap: fc.option(exprArb(1), { nil: null }) }), {
        nil: null,
      }),
      on: fc.option(fc.array(kindNameArb, { maxLength: 3 }), { nil: null }),
    })
    .map((f): A.Clause => ({
      kind: "RetryClause",
      attempts: f.attempts,
      backoff:
        f.backoff === null
          ? null
          : { kind: "Backoff", strategy: ident(f.backoff.strategy), base: f.backoff.base, cap: f.backoff.cap, span },
      on: f.on === null ? null : f.on.map(ident),
      span,
    })),
  exprArb(1).map((duration): A.Clause => ({ kind: "TimeoutClause", duration, span })),
  constStringArb.map((name): A.Clause => ({ kind: "GateClause", name, span })),
  constStringArb.map((profile): A.Clause => ({ kind: "SandboxClause", profile, span })),
  fc
    .oneof(
      nameArb.map(ident),
      fc.array(constStringArb, { maxLength: 3 }).map((items): A.ListExpr => ({ kind: "ListExpr", items, span })),
    )
    .map((route): A.Clause => ({ kind: "ModelsClause", route, span })),
  fc
    .array(
      fc.array(fieldNameArb, { maxLength: 2 }).chain((rest) => nameArb.map((head) => [head, ...rest])),
      { maxLength: 3 },
    )
    .map((tools): A.Clause => ({
      kind: "ToolsClause",
      tools: tools.map((parts) => ({ kind: "QualifiedName", parts: parts.map(ident), span })),
      span,
    })),
  stringArb(exprArb(1)).map((text): A.Clause => ({ kind: "PromptClause", text, span })),
);

const paramsArb = fc
  .uniqueArray(nameArb, { maxLength: 3 })
  .chain((names) =>
    fc
      .tuple(...names.map(() => typeArb(1)))
      .map((types) => names.map((n, i) => ({ kind: "Param" as const, name: ident(n), type: types[i]!, span }))),
  );

const declArb: fc.Arbitrary<A.Decl> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc
      .record({
        names: fc.array(fc.record({ name: nameArb, alias: fc.option(nameArb, { nil: null }) }), { maxLength: 3 }),
        from: constStringArb,
      })
      .map((f): A.Decl => ({
        kind: "ImportDecl",
        names: f.names.map((n) => ({
          kind: "ImportName",
          name: ident(n.name),
          alias: n.alias === null ? null : ident(n.alias),
          span,
        })),
        from: f.from,
        span,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ name: typeNameArb, type: typeArb(2) })
      .map((f): A.Decl => ({ kind: "TypeDecl", name: ident(f.name), type: f.type, span })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ name: nameArb, models: fc.array(constStringArb, { maxLength: 3 }) })
      .map((f): A.Decl => ({ kind: "ModelsDecl", name: ident(f.name), models: f.models, span })),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({
        kind: fc.constantFrom("NodeDecl", "VerifierDecl", "WorkflowDecl", "AgentDecl"),
        name: nameArb,
        params: paramsArb,
        returnType: typeArb(1),
        clauses: fc.array(clauseArb, { maxLength: 3 }),
        body: fc.array(stmtArb(3), { minLength: 1, maxLength: 6 }).map((stmts): A.Block => ({ kind: "Block", stmts, span })),
      })
      .map((f): A.Decl => {
        const common = { name: ident(f.name), params: f.params, returnType: f.returnType, clauses: f.clauses, span };
        if (f.kind === "AgentDecl") return { kind: "AgentDecl", ...common };
        return { kind: f.kind as "NodeDecl" | "VerifierDecl" | "WorkflowDecl", ...common, body: f.body };
      }),
  },
);

const programArb = fc.array(declArb, { maxLength: 4 }).map((decls): A.Program => ({ kind: "Program", decls, span }));

// ───────────────────────────── properties ─────────────────────────────

function checkLines(text: string): void {
  for (const line of text.split("\n")) expect(line).not.toMatch(/[ \t]$/);
  if (text !== "") {
    expect(text.endsWith("\n")).toBe(true);
    expect(text.endsWith("\n\n")).toBe(false);
  }
}

describe("format properties", () => {
  it(
    "parsing the printed tree gives the tree back, and printing is stable",
    () => {
      fc.assert(
        fc.property(programArb, (program) => {
          const text = formatProgram(program, [], "");
          checkLines(text);
          const parsed = parseClean(text);
          expect(withoutSpans(parsed.program)).toEqual(withoutSpans(program));
          expect(formatProgram(parsed.program, parsed.comments, text)).toBe(text);
        }),
        { numRuns: runs },
      );
    },
    timeout,
  );

  it(
    "keeps every comment and line break sprinkled between tokens, without changing the tree",
    () => {
      fc.assert(
        fc.property(
          programArb,
          fc.array(
            fc.record({
              at: fc.nat(),
              what: fc.constantFrom("line", "block", "block-multiline", "newline", "blank"),
              newlineBefore: fc.boolean(),
            }),
            { maxLength: 8 },
          ),
          (program, inserts) => {
            const text = formatProgram(program, [], "");
            const clean = parseClean(text);
            const boundaries = tokenBoundaries(text);
            if (boundaries.length === 0) return;
            const chosen = inserts
              .map((ins) => ({ ...ins, place: boundaries[ins.at % boundaries.length]! }))
              .sort((x, y) => y.place.at - x.place.at);
            let source = text;
            const bodies: string[] = [];
            chosen.forEach((ins, i) => {
              const body = `c${i}x`;
              // Before a call's `(` only a one-line block comment keeps it a call.
              const what = ins.place.beforeParen ? "block" : ins.what;
              const before = ins.place.beforeParen || !ins.newlineBefore ? " " : "\n";
              let insert: string;
              if (what === "newline") insert = "\n";
              else if (what === "blank") insert = "\n\n\n";
              else {
                bodies.push(body);
                insert =
                  what === "line"
                    ? `${before}// ${body}\n`
                    : what === "block"
                      ? `${before}/* ${body} */ `
                      : `${before}/* ${body}\n   more ${body} */ `;
              }
              source = `${source.slice(0, ins.place.at)}${insert}${source.slice(ins.place.at)}`;
            });
            const parsed = parseClean(source);
            expect(withoutSpans(parsed.program)).toEqual(withoutSpans(clean.program));
            expect(parsed.comments.length).toBe(bodies.length);
            const once = formatProgram(parsed.program, parsed.comments, source);
            checkLines(once);
            for (const body of bodies) expect(once).toContain(body);
            const again = parseClean(once);
            // Comments may move (one inside an expression goes before the next statement), never vanish.
            const texts = (cs: readonly A.Comment[]): string[] => cs.map((c) => c.text.replace(/\s+/g, " ")).sort();
            expect(texts(again.comments)).toEqual(texts(parsed.comments));
            expect(withoutSpans(again.program)).toEqual(withoutSpans(clean.program));
            expect(formatProgram(again.program, again.comments, once)).toBe(once);
          },
        ),
        { numRuns: runs },
      );
    },
    timeout,
  );
});

/**
 * Places right after a code token (outside strings) where a comment or a
 * line break may be inserted without changing what the tokens mean. The
 * start of the file is one. Before a `(` only a one-line block comment
 * fits: a call's `(` must stay on its callee's line.
 */
function tokenBoundaries(text: string): { at: number; beforeParen: boolean }[] {
  const out: { at: number; beforeParen: boolean }[] = [{ at: 0, beforeParen: false }];
  const push = (at: number): void => {
    out.push({ at, beforeParen: text.slice(at).trimStart().startsWith("(") });
  };
  // Code frames count the braces they opened, so the `}` that closes an interpolation is recognised.
  const stack: ({ mode: "code"; depth: number } | { mode: "string" | "block" })[] = [{ mode: "code", depth: 0 }];
  let i = 0;
  while (i < text.length) {
    const frame = stack[stack.length - 1]!;
    const ch = text[i]!;
    if (frame.mode === "code") {
      if (text.startsWith('"""', i)) {
        stack.push({ mode: "block" });
        i += 3;
      } else if (ch === '"') {
        stack.push({ mode: "string" });
        i++;
      } else if (/\s/.test(ch)) {
        i++;
      } else if (ch === "}" && frame.depth === 0 && stack.length > 1) {
        stack.pop();
        i++;
      } else {
        if (ch === "{") frame.depth++;
        if (ch === "}") frame.depth--;
        let j = i + 1;
        if (/[A-Za-z0-9_$.%]/.test(ch)) {
          while (j < text.length && /[A-Za-z0-9_.%]/.test(text[j]!)) j++;
        } else if (/[-=!<>?|&]/.test(ch) && /[=>?|&]/.test(text[j] ?? "")) {
          j++;
        }
        i = j;
        push(i);
      }
      continue;
    }
    if (ch === "\\") {
      i += 2;
    } else if (text.startsWith("${", i)) {
      stack.push({ mode: "code", depth: 0 });
      i += 2;
    } else if (frame.mode === "block" && text.startsWith('"""', i)) {
      stack.pop();
      i += 3;
      push(i);
    } else if (frame.mode === "string" && ch === '"') {
      stack.pop();
      i++;
      push(i);
    } else {
      i++;
    }
  }
  return out;
}
