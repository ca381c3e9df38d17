import { describe, expect, it } from "vitest";
import type * as A from "../language/ast.ts";
import { formatProgram } from "../language/format/format.ts";
import { parse } from "../language/parse.ts";
import { SourceFile } from "../language/source-file.ts";
import { withoutSpans } from "./support/arbitrary-syntax.ts";

/** Placement problems (a clause or statement where it is not allowed) are not syntax: the tree is still whole. */
const placementCodes = new Set(["FL0118", "FL0119", "FL0120"]);

function parseClean(text: string): ReturnType<typeof parse> {
  const result = parse(new SourceFile("test.flow", text));
  const errors = result.diagnostics.filter((d) => !placementCodes.has(d.code));
  expect(
    errors.map((d) => `${d.code} ${d.message}`),
    text,
  ).toEqual([]);
  return result;
}


function format(text: string): string {
  const { program, comments } = parseClean(text);
  return formatProgram(program, comments, text);
}

/**
 * Formats `input` and expects `expected`; then checks what every output
 * must satisfy: it formats to itself, it parses to the same tree as the
 * input, it keeps every comment, and no line ends in whitespace.
 */
function expectFormat(input: string, expected: string): void {
  const output = format(input);
  expect(output).toBe(expected);
  expect(format(output)).toBe(output);
  const before = parseClean(input);
  const after = parseClean(output);
  expect(withoutSpans(after.program)).toEqual(withoutSpans(before.program));
  const texts = (cs: readonly A.Comment[]): string[] => cs.map((c) => c.text.trimEnd()).sort();
  expect(texts(after.comments)).toEqual(texts(before.comments));
  for (const line of output.split("\n")) expect(line).not.toMatch(/[ \t]$/);
}

function expectCanonical(text: string): void {
  expectFormat(text, text);
}

/** A statement list inside a workflow, for statement and expression cases. */
function inWorkflow(body: string): string {
  const indented = body
    .split("\n")
    .map((line) => (line === "" ? "" : `  ${line}`))
    .join("\n");
  return `workflow w() -> int {\n${indented}\n}\n`;
}

const languageExample = `import { sh, git } from "std/sandbox"
import { all } from "std/list"

type Package   = { name: string, path: string }
type Migration = { package: string, diff: string, coverage: float }
type Review    = { verdict: "approve" | "revise", notes: string }

models careful = ["anthropic:claude-opus-4-7", "anthropic:claude-sonnet-4-5"]

node list_packages(repo: string) -> List<Package, max 200>
  effects { fs.read, proc }
  budget  { compute: 5m }
{
  let out = sh("ls -1 packages", timeout: 1m)
  return for line in out.lines { { name: line, path: "packages/\${line}" } }
}

node migrate_package(repo: string, pkg: Package, from: string, to: string) -> Migration
  effects { fs.write, proc, net }
  budget  { compute: 2h }
  retry   3 backoff exp(30s, cap 10m) on [Timeout, Transient]
{
  sh("npx codemod \${from}-to-\${to} \${pkg.path}", timeout: 30m)
  checkpoint "codemod-applied"
  let report = sh("npm test -- --coverage --json", timeout: 1h).json
  return { package: pkg.name, diff: git.diff(), coverage: report.total as float }
}

agent review(diff: string) -> Review
  models  careful
  effects { llm }
  budget  { tokens: 200k, usd: 2.00 }
  prompt """
    Review this dependency migration and answer with a verdict.
    \${diff}
  """

verifier coverage_kept(ms: List<Migration>) -> bool {
  return all(ms, m => m.coverage >= 0.8)
}

workflow monorepo_to_turbo(repo: string) -> List<Migration>
  budget { tokens: 50M, compute: 30h, usd: 500 }
  grants { fs.write, proc, net, llm }
{
  let pkgs       = list_packages(repo)
  let migrations = for pkg in pkgs concurrency 12 { migrate_package(repo, pkg, "npm", "turbo") }
  let reviews    = for m in migrations concurrency 4 { review(m.diff) }
  verify coverage_kept(migrations) else "coverage dropped below 80%"
  approve "merge" show migrations timeout 7d default reject
  return migrations
}
`;

describe("flow fmt: the language brief's example", () => {
  it("is already canonical", () => {
    expectCanonical(languageExample);
  });

  it("is restored from a messy layout", () => {
    const messy = languageExample
      .replace("type Package   =", "type Package =")
      .replace("  budget  { compute: 5m }", "budget{compute:5m}")
      .replace("let pkgs       =", "let pkgs =")
      .replace("  models  careful", "    models careful")
      .replace(/\n\n/g, "\n\n\n");
    expectFormat(messy, languageExample);
  });
});

describe("flow fmt: declarations", () => {
  it("prints imports, aliases and breaks a long import list", () => {
    expectFormat(`import {sh,git as g} from "std/sandbox"`, `import { sh, git as g } from "std/sandbox"\n`);
    expectFormat(
      `import { read_file, write_file, list_files, grep, sh, git, http_get, http_post, now } from "std/sandbox"`,
      `import {
  read_file,
  write_file,
  list_files,
  grep,
  sh,
  git,
  http_get,
  http_post,
  now
} from "std/sandbox"
`,
    );
    expectCanonical(`import {} from "std/nothing"\n`);
  });

  it("keeps a blank line between imports, types or models only where the source had one", () => {
    expectFormat(
      `import { a } from "a"
import { b } from "b"



import { c } from "c"
type T = int
type U = string
models m = ["x"]
node f() -> int { return 1 }
node g() -> int { return 2 }`,
      `import { a } from "a"
import { b } from "b"

import { c } from "c"

type T = int
type U = string

models m = ["x"]

node f() -> int {
  return 1
}

node g() -> int {
  return 2
}
`,
    );
  });

  it("aligns the = of consecutive types and of consecutive models", () => {
    expectFormat(
      `type A = int
type Longer = string

type B = bool
models fast = ["a"]
models careful = ["b"]`,
      `type A      = int
type Longer = string

type B = bool

models fast    = ["a"]
models careful = ["b"]
`,
    );
  });

  it("breaks a long models list one per line", () => {
    expectFormat(
      `models route = ["anthropic:claude-opus-4-7", "anthropic:claude-sonnet-4-5", "openai:gpt-5-mini", "local"]`,
      `models route = [
  "anthropic:claude-opus-4-7",
  "anthropic:claude-sonnet-4-5",
  "openai:gpt-5-mini",
  "local"
]
`,
    );
  });

  it("prints the type forms", () => {
    expectCanonical(`type T = {}
type U = { a: List<int>, b: List<Package, max 200>, c: string?, d: "x" | "y" }
type V = ("a" | "b")?
type W = int | (string | bool)
type X = (int?)?
`);
  });

  it("breaks a long record type one field per line", () => {
    expectFormat(
      `type Report = { package: string, diff: string, coverage: float, reviewers: List<string>, verdict: "approve" | "revise" }`,
      `type Report = {
  package: string,
  diff: string,
  coverage: float,
  reviewers: List<string>,
  verdict: "approve" | "revise"
}
`,
    );
  });

  it("keeps the signature on one line, or the parameters one per line when it does not fit", () => {
    expectFormat(`node f( a : int,b:string )->int{return a}`, `node f(a: int, b: string) -> int {\n  return a\n}\n`);
    expectFormat(
      `node migrate_everything(repository: string, package_name: string, from_version: string, to_version: string) -> Migration {
  return x
}`,
      `node migrate_everything(
  repository: string,
  package_name: string,
  from_version: string,
  to_version: string
) -> Migration {
  return x
}
`,
    );
  });

  it("puts each clause on its own line with aligned values, and the body's { on its own line", () => {
    expectFormat(
      `node n(a: int) -> int effects { fs.read, fs.write("pkgs/**"), net("registry.npmjs.org") } timeout 2h retry 3 backoff exp(30s) gate "review" sandbox "node-20" { return a }`,
      `node n(a: int) -> int
  effects { fs.read, fs.write("pkgs/**"), net("registry.npmjs.org") }
  timeout 2h
  retry   3 backoff exp(30s)
  gate    "review"
  sandbox "node-20"
{
  return a
}
`,
    );
    expectCanonical(`node n() -> int
  retry 3 on [Timeout]
{
  return 1
}
`);
  });

  it("prints agents without a body", () => {
    expectCanonical(`agent a(x: string) -> string
  models ["anthropic:claude-opus-4-7", "openai:gpt-5"]
  tools  [sh, read_file, git.diff]
  prompt "Answer: \${x}"

agent b() -> string
  prompt "Say hello."
`);
  });

  it("prints empty bodies as {}", () => {
    expectFormat(`workflow w() -> int {\n\n}`, `workflow w() -> int {}\n`);
  });
});

describe("flow fmt: statements", () => {
  it("prints each statement form", () => {
    expectCanonical(
      inWorkflow(`let x = 1
step(x)
let y: List<int> = [1, 2]
checkpoint "done"
fail Conflict("the lockfile changed under us")
fail Conflict("\${x} changed")
verify check(x) else "x is wrong"
approve "merge"
approve "merge" show x by "platform" timeout 7d default approve
approve "merge" timeout 7d
sleep 2h
return x`),
    );
  });

  it("aligns the = of consecutive lets, a blank line ending the run", () => {
    expectFormat(
      inWorkflow(`let a = 1
let bbb: int = 2
let cc = 3

let d = 4
let eeeee = 5
step()
let f = 6`),
      inWorkflow(`let a        = 1
let bbb: int = 2
let cc       = 3

let d     = 4
let eeeee = 5
step()
let f = 6`),
    );
  });

  it("prints if / else if / else chains", () => {
    expectFormat(
      inWorkflow(`if a { x() } else if b { y() } else { z() }
if c {}`),
      inWorkflow(`if a {
  x()
} else if b {
  y()
} else {
  z()
}
if c {}`),
    );
  });

  it("keeps one blank line where the source had any, none at a block's edges", () => {
    expectFormat(
      `workflow w() -> int {

  let a = 1



  let b = 2
  if a {

    x()

  }

}`,
      `workflow w() -> int {
  let a = 1

  let b = 2
  if a {
    x()
  }
}
`,
    );
  });

  it("parenthesizes a statement that would continue the one above it", () => {
    // Unparenthesized, `-x` would subtract from `b`, and `timeout`, `by`, `show` would continue the
    // approve or the wait. A `[` on a line of its own needs nothing: only a same-line `[` continues.
    expectCanonical(
      inWorkflow(`let a = b
(-x)
(-x + 1)
(-x).y
approve "merge" show a
(timeout(3))
(by)
(default => 1)
let w = wait signal "go" -> bool
(timeout)
let t = w as int
[t, t]
let u = t
[u, u]`),
    );
    expectCanonical(inWorkflow(`approve "merge" show (wait signal "go" -> bool) timeout 3d`));
    // The first statement of a block follows a `{`, which it cannot continue.
    expectCanonical(
      inWorkflow(`if a {
  -x
}
let r = for i in xs { -i }`),
    );
    const tree = parseClean(inWorkflow("let a = b\n(-x)"));
    const body = (tree.program.decls[0] as A.WorkflowDecl).body;
    expect(body.stmts.map((s) => s.kind)).toEqual(["LetStmt", "ExprStmt"]);
  });
});

describe("flow fmt: for and wait", () => {
  it("prints a one-expression body inline when it fits, broken when not", () => {
    expectCanonical(inWorkflow(`let r = for x in xs concurrency 12 tolerate 5% limit 100 { f(x) }`));
    expectFormat(
      inWorkflow(
        `let r = for package_name in packages concurrency 12 tolerate 5% limit 100 { migrate_package(repository, package_name) }`,
      ),
      inWorkflow(`let r = for package_name in packages concurrency 12 tolerate 5% limit 100 {
  migrate_package(repository, package_name)
}`),
    );
  });

  it("prints a longer body as a block", () => {
    expectFormat(
      inWorkflow(`let r = for x in xs { let y = f(x)
y }`),
      inWorkflow(`let r = for x in xs {
  let y = f(x)
  y
}`),
    );
  });

  it("prints wait signal with and without a timeout", () => {
    expectCanonical(
      inWorkflow(`let v = wait signal "go" -> Decision timeout 3d
let w = wait signal "go" -> "yes" | "no"`),
    );
  });
});

describe("flow fmt: expressions and parentheses", () => {
  const cases: [string, string][] = [
    ["(a + b) * c", "(a + b) * c"],
    ["a + (b * c)", "a + b * c"],
    ["(a - b) - c", "a - b - c"],
    ["a - (b - c)", "a - (b - c)"],
    ["a / (b * c)", "a / (b * c)"],
    ["a ?? (b ?? c)", "a ?? b ?? c"],
    ["(a ?? b) ?? c", "(a ?? b) ?? c"],
    ["(a == b) != c", "(a == b) != c"],
    ["a == (b != c)", "a == (b != c)"],
    ["(a < b) == (c >= d)", "a < b == c >= d"],
    ["(a || b) && c", "(a || b) && c"],
    ["a || (b && c)", "a || b && c"],
    ["!(a && b)", "!(a && b)"],
    ["- -x", "-(-x)"],
    ["-(-x)", "-(-x)"],
    ["!!x", "!!x"],
    ["a - -b", "a - -b"],
    ["-(a.b)", "-a.b"],
    ["(-a).b", "(-a).b"],
    ["(a as int) as float", "a as int as float"],
    ["(a + b) as float", "(a + b) as float"],
    ["a * (b as float)", "a * b as float"],
    ["-(a as int)", "-(a as int)"],
    ["(-a) as int", "-a as int"],
    ["(x as Foo) < y", "(x as Foo) < y"],
    ["(x as int) < y", "x as int < y"],
    ["(x as List) < y", "(x as List) < y"],
    ["(x as List<int>) < y", "x as List<int> < y"],
    ["(x => x)(1)", "(x => x)(1)"],
    ["(x => x).y", "(x => x).y"],
    ["(x => x) ?? y", "(x => x) ?? y"],
    ["a ?? (x => x)", "a ?? (x => x)"],
    ["f(x => x + 1, (a, b) => a, () => 0)", "f(x => x + 1, (a, b) => a, () => 0)"],
    ["x => y => x + y", "x => y => x + y"],
    ["(for x in xs { x }) + 1", "(for x in xs { x }) + 1"],
    ['(wait signal "s" -> T).x', '(wait signal "s" -> T).x'],
    ['(wait signal "s" -> T timeout 3d) ?? d', '(wait signal "s" -> T timeout 3d) ?? d'],
    ["f(a)(b).c", "f(a)(b).c"],
    ["{a:1,b:[1,2,],}", "{ a: 1, b: [1, 2] }"],
    ["{}", "{}"],
    ["[]", "[]"],
    ["f(name: 1, 2)", "f(name: 1, 2)"],
    ["x.type.node", "x.type.node"],
    ["1.50 + $0.60 + 5% + 200k + 1.5G + 100ms", "1.50 + $0.60 + 5% + 200k + 1.5G + 100ms"],
    ["true && false || null == null", "true && false || null == null"],
  ];
  for (const [input, expected] of cases) {
    it(`${input}  →  ${expected}`, () => {
      expectFormat(inWorkflow(`let v = ${input}`), inWorkflow(`let v = ${expected}`));
    });
  }

  it("puts parentheses back in a tree built by hand", () => {
    const span = { start: 0, end: 0 };
    const name = (n: string): A.Expr => ({ kind: "NameExpr", name: n, span });
    const bin = (op: A.BinaryOp, left: A.Expr, right: A.Expr): A.Expr => ({ kind: "BinaryExpr", op, left, right, span });
    const value = bin("*", bin("-", name("a"), bin("-", name("b"), name("c"))), {
      kind: "UnaryExpr",
      op: "-",
      operand: { kind: "UnaryExpr", op: "-", operand: name("d"), span },
      span,
    });
    const program: A.Program = {
      kind: "Program",
      span,
      decls: [
        {
          kind: "WorkflowDecl",
          name: { kind: "Ident", name: "w", span },
          params: [],
          returnType: { kind: "NamedType", name: { kind: "Ident", name: "int", span }, span },
          clauses: [],
          body: {
            kind: "Block",
            stmts: [
              { kind: "ReturnStmt", value, span },
              { kind: "ExprStmt", expr: { kind: "UnaryExpr", op: "-", operand: name("e"), span }, span },
            ],
            span,
          },
          span,
        },
      ],
    };
    const text = formatProgram(program, [], "");
    expect(text).toBe("workflow w() -> int {\n  return (a - (b - c)) * -(-d)\n  (-e)\n}\n");
    expect(withoutSpans(parseClean(text).program)).toEqual(withoutSpans(program));
  });

  it("breaks calls, records, lists and operator chains only when they do not fit", () => {
    expectFormat(
      inWorkflow(`let long = some_function_name(argument_number_one, argument_number_two, argument_three, named: four)
let rec = { name: "a fairly long name here", path: "packages/\${line}/src/index", owner: team.lead.name }
let list = ["anthropic:claude-opus-4-7", "anthropic:claude-sonnet-4-5", "openai:gpt-5", "local:llama"]
let sum = first_value_with_long_name + second_value_with_long_name + third_value_with_long_name + fourth
let hug = make({ name: "a fairly long name here", path: "packages/\${line}/src/index", owner: team.lead })
let short = f(a, { b: 1 }, [c])`),
      inWorkflow(`let long  = some_function_name(
  argument_number_one,
  argument_number_two,
  argument_three,
  named: four
)
let rec   = {
  name: "a fairly long name here",
  path: "packages/\${line}/src/index",
  owner: team.lead.name
}
let list  = [
  "anthropic:claude-opus-4-7",
  "anthropic:claude-sonnet-4-5",
  "openai:gpt-5",
  "local:llama"
]
let sum   = first_value_with_long_name +
  second_value_with_long_name +
  third_value_with_long_name +
  fourth
let hug   = make({
  name: "a fairly long name here",
  path: "packages/\${line}/src/index",
  owner: team.lead
})
let short = f(a, { b: 1 }, [c])`),
    );
  });
});

describe("flow fmt: strings", () => {
  it("re-escapes plain strings", () => {
    expectFormat(
      inWorkflow(String.raw`let s = "q\"uote \\ back \${lit} ${"$"}{a + 1} \$x nl\n cr\r tab\t nul\0 bell\u{7} \u{1F600} é"`),
      inWorkflow(String.raw`let s = "q\"uote \\ back \${lit} ${"$"}{a + 1} $x nl\n cr\r tab\t nul\u{00} bell\u{07} 😀 é"`),
    );
  });

  it("prints interpolations on one line, with strings inside them", () => {
    expectCanonical(inWorkflow(`let s = "a \${f("b \${c}", { d: 1 })} e"`));
  });

  it("indents block strings one step past the line they start on", () => {
    expectFormat(
      `agent a(diff: string) -> string
  prompt """
          Review this migration.

          \${diff}
       """`,
      `agent a(diff: string) -> string
  prompt """
    Review this migration.

    \${diff}
  """
`,
    );
    expectCanonical(
      inWorkflow(`let x = llm.ask(
  """
    hello
  """,
  model: m
)
let e = """
"""`),
    );
  });

  it("keeps content that is indented throughout by escaping its first space", () => {
    const input = inWorkflow(`let s = """
    \\u{20} indented
      more
  """`);
    const output = format(input);
    expect(output).toBe(
      inWorkflow(`let s = """
  \\u{20} indented
  \\u{20} more
"""`),
    );
    const value = ((parseClean(output).program.decls[0] as A.WorkflowDecl).body.stmts[0] as A.LetStmt).value as A.StringLit;
    expect(value.parts).toMatchObject([{ kind: "TextPart", value: "  indented\n  more" }]);
    expectCanonical(output);
  });

  it("escapes trailing whitespace, tabs, backslashes, ${ and runs of three quotes in block strings", () => {
    const input = `workflow w() -> int {
  let s = """
    trailing   
    \ttab and \\\\ and \\\${x} and \\""" and \\"""\\" and "" ok
  """
}
`;
    const expected = `workflow w() -> int {
  let s = """
    trailing  \\u{20}
    \\ttab and \\\\ and \\\${x} and \\""" and \\"""\\" and "" ok
  """
}
`;
    expectFormat(input, expected);
    const value = ((parseClean(expected).program.decls[0] as A.WorkflowDecl).body.stmts[0] as A.LetStmt).value as A.StringLit;
    expect(value.parts).toMatchObject([
      { kind: "TextPart", value: 'trailing   \n\ttab and \\ and ${x} and """ and """" and "" ok' },
    ]);
  });

  it("prints block strings nested in interpolations", () => {
    expectCanonical(
      inWorkflow(`let x = """
  a \${"""
    nested
  """} b
"""`),
    );
  });
});

describe("flow fmt: comments", () => {
  it("keeps leading and trailing comments of declarations, clauses and statements", () => {
    expectFormat(
      `// header

// about imports
import { a } from "a" // why a
/* about f */
node f(x: int) -> int // the signature
  // about effects
  effects { fs.read } // read only
  // before the body
{ // opening
  // about y
  let y = x // trailing
  /* inline */ let z = y
  return z
  // at the end of the block
}
// end of file
`,
      `// header

// about imports
import { a } from "a" // why a

/* about f */
node f(x: int) -> int // the signature
  // about effects
  effects { fs.read } // read only
  // before the body
{ // opening
  // about y
  let y = x // trailing
  /* inline */ let z = y
  return z
  // at the end of the block
}
// end of file
`,
    );
  });

  it("keeps a blank line between a comment and what follows it", () => {
    expectCanonical(`// licence header

workflow w() -> int {
  let a = 1

  // about b

  let b = 2
}

// trailing notes

/* more */
`);
  });

  it("keeps comments inside lists, records and argument lists, breaking them", () => {
    expectFormat(
      inWorkflow(`let r = f(a, // first
  b /* hug */, c)
let l = [1, 2, // two
  3]
let rec = {
  // lead
  a: 1,
  b: 2 // tb
  // dangling
}
let e = [ // nothing
]`),
      inWorkflow(`let r   = f(
  a, // first
  b /* hug */,
  c
)
let l   = [
  1,
  2, // two
  3
]
let rec = {
  // lead
  a: 1,
  b: 2 // tb
  // dangling
}
let e   = [
  // nothing
]`),
    );
  });

  it("moves a comment it cannot place inside an expression before the next statement", () => {
    expectFormat(
      inWorkflow(`let z = a + /* inner */ b
let q = a * // split
  b
let r = a + /* not f's */ f(b)
if a /* about a */ {
  x()
}
return q`),
      inWorkflow(`let z = a + b
/* inner */
let q = a * b
// split
let r = a + f(b)
/* not f's */
if a {
  x()
}
/* about a */
return q`),
    );
  });

  it("moves comments out of interpolations", () => {
    expectFormat(inWorkflow(`let s = "a \${b /* c */} d"`), inWorkflow(`let s = "a \${b} d"\n/* c */`));
  });

  it("keeps a comment after the signature and one after the { apart", () => {
    expectFormat(
      `node f() -> int // one
{ // two
  return 1
}`,
      `node f() -> int { // one
  // two
  return 1
}
`,
    );
  });

  it("keeps multi-line block comments verbatim", () => {
    expectCanonical(`workflow w() -> int {
  /* first line
     second line */
  return 1
}
`);
  });

  it("prints a file of only comments", () => {
    expectFormat(`  // one\n\n\n// two  \n`, `// one\n\n// two\n`);
    expect(format("")).toBe("");
  });
});
