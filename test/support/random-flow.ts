import fc from "fast-check";
import type { Json } from "../../interpreter/ledger/entry.ts";

/**
 * Random runnable programs for the interpreter's properties
 * (test/replay-properties.test.ts): a handful of nodes (pure ones, and ones
 * with 1 to 3 `sh` steps that sleep a few random ms and echo a number
 * computed from their inputs, so completions arrive in random orders and
 * every result depends on the data), sometimes failing on large inputs,
 * sometimes failing once and retried (a marker file), sometimes with a
 * `checkpoint`; verifiers; and a workflow of `let`s that call them on
 * parameters and earlier `let`s, fan-outs (nested, with `concurrency`,
 * `tolerate`, `limit`, items that `fail`), `if`s on computed values,
 * `verify`, early `return`s.
 *
 * Every value is an `int` or a list of them, so `predict` (a direct,
 * sequential reading of the same program) says what the run must end
 * with: its result, or that it fails.
 *
 * A program is built from a tape of choices (`fc.array(fc.nat())`): each
 * is `tape[i] % options`, every choice past the end of the tape is 0, and
 * option 0 is the simplest. Shrinking the tape shrinks the program.
 */

export interface Step {
  /** `sleep 0.00N`: N ms. */
  readonly sleep: number;
  readonly mul: 1 | 2;
  readonly add: number;
}

export interface NodeSpec {
  readonly name: string;
  /** Each echoes `prev * mul + a + add` (prev: `b`, then the step before's number). */
  readonly steps: readonly Step[];
  /** A `checkpoint` after this step (its index). */
  readonly checkpointAfter: number | null;
  /** `fail Failed(…)` when `a` is above this, before any step. */
  readonly failAbove: number | null;
  /** Its first attempt of each (a, b) fails with `Transient` (a marker file), and `retry` runs it again. */
  readonly flaky: { readonly retries: 1 | 2; readonly backoff: string | null } | null;
  /** The result: `prev * mul + a + add`. */
  readonly mul: 1 | 2;
  readonly add: number;
}

export interface VerifierSpec {
  readonly name: string;
  readonly over: "list" | "int";
  /** Holds when every number (or the number) is below this. */
  readonly below: number;
}

export type IntExpr =
  | { readonly k: "lit"; readonly v: number }
  | { readonly k: "name"; readonly name: string }
  | { readonly k: "plus"; readonly name: string; readonly v: number }
  | { readonly k: "sum"; readonly list: ListExpr }
  | { readonly k: "len"; readonly list: ListExpr };

export type ListExpr = { readonly k: "name"; readonly name: string } | { readonly k: "lit"; readonly items: readonly IntExpr[] };

export interface Call {
  readonly node: string;
  readonly args: readonly [IntExpr, IntExpr];
}

export type Tolerate = { readonly k: "count"; readonly n: number } | { readonly k: "pct"; readonly p: number };

export interface FanOut {
  readonly item: string;
  readonly over: ListExpr;
  readonly concurrency: number | null;
  readonly tolerate: Tolerate | null;
  readonly limit: number | null;
  readonly body: ItemBody;
}

export interface ItemBody {
  /** `if item > N { fail Failed(…) }` first. */
  readonly failAbove: number | null;
  /** `let NAME = for …` (a nested fan-out), which `last` may read. */
  readonly nested: { readonly name: string; readonly fanOut: FanOut } | null;
  /** The item's value: the body's last expression. */
  readonly last: { readonly k: "call"; readonly call: Call } | { readonly k: "expr"; readonly expr: IntExpr };
}

export interface Cond {
  readonly expr: IntExpr;
  readonly above: number;
}

export type Stmt =
  | { readonly k: "let-call"; readonly name: string; readonly call: Call }
  | { readonly k: "let-for"; readonly name: string; readonly fanOut: FanOut }
  | { readonly k: "if-call"; readonly cond: Cond; readonly then: Call; readonly else: Call | null }
  | { readonly k: "if-fail"; readonly cond: Cond }
  | { readonly k: "if-return"; readonly cond: Cond; readonly value: readonly IntExpr[] }
  | { readonly k: "verify"; readonly verifier: string; readonly arg: { readonly k: "list"; readonly list: ListExpr } | { readonly k: "int"; readonly expr: IntExpr } };

export interface RandomProgram {
  readonly nodes: readonly NodeSpec[];
  readonly verifiers: readonly VerifierSpec[];
  readonly body: readonly Stmt[];
  /** What the workflow returns: `[k, …int lets, sum and len of each list let]`. */
  readonly result: readonly IntExpr[];
  readonly xs: readonly number[];
  readonly k: number;
  /** Run-wide `concurrency`. */
  readonly concurrency: number;
}

export const workflowName = "main";

/** The workflow's arguments, with `marker` the directory its flaky nodes keep their marker files in. */
export function programArgs(program: RandomProgram, marker: string): Record<string, Json> {
  return { xs: [...program.xs], k: program.k, marker };
}

/** Choices read off a tape, each in `[0, n)`: 0 past the tape's end, so a shorter tape makes a simpler program. */
interface Tape {
  pick(n: number): number;
  /** True with about this percentage (false past the end). */
  percent(p: number): boolean;
  between(lo: number, hi: number): number;
  of<T>(items: readonly T[]): T;
}

function tapeOf(choices: readonly number[]): Tape {
  let next = 0;
  const pick = (n: number) => (choices[next++] ?? 0) % Math.max(n, 1);
  return {
    pick,
    percent: (p) => pick(100) >= 100 - p,
    between: (lo, hi) => lo + pick(hi - lo + 1),
    of: (items) => items[pick(items.length)]!,
  };
}

/** What a statement may read: `int`s and lists of them, by name. */
interface Scope {
  readonly ints: readonly string[];
  readonly lists: readonly string[];
}

class Builder {
  private counters = new Map<string, number>();
  readonly nodes: NodeSpec[] = [];
  readonly verifiers: VerifierSpec[] = [];

  constructor(private readonly t: Tape) {}

  fresh(prefix: string): string {
    const n = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, n + 1);
    return `${prefix}${n}`;
  }

  node(): NodeSpec {
    const t = this.t;
    const steps: Step[] = [];
    const count = t.of([1, 0, 2, 3]);
    for (let i = 0; i < count; i++) steps.push({ sleep: t.between(1, 9), mul: t.of([1, 2] as const), add: t.between(0, 5) });
    const flaky = t.percent(25) ? { retries: t.of([1, 2] as const), backoff: t.of([null, "fixed(2ms)", "exp(1ms, cap 4ms)", "linear(2ms)"]) } : null;
    return {
      name: this.fresh("n"),
      steps,
      checkpointAfter: steps.length > 0 && t.percent(30) ? t.pick(steps.length) : null,
      failAbove: t.percent(20) ? t.between(3, 12) : null,
      flaky,
      mul: t.of([1, 2] as const),
      add: t.between(0, 9),
    };
  }

  int(scope: Scope, depth = 0): IntExpr {
    const t = this.t;
    switch (t.pick(depth > 0 ? 3 : 5)) {
      case 0:
        return { k: "lit", v: t.between(0, 9) };
      case 1:
        return { k: "name", name: t.of(scope.ints) };
      case 2:
        return { k: "plus", name: t.of(scope.ints), v: t.between(1, 9) };
      case 3:
        return { k: "sum", list: this.list(scope, depth + 1) };
      default:
        return { k: "len", list: this.list(scope, depth + 1) };
    }
  }

  list(scope: Scope, depth = 0): ListExpr {
    const t = this.t;
    switch (t.pick(3)) {
      case 0:
        return { k: "name", name: t.of(scope.lists) };
      case 1: {
        const items: IntExpr[] = [];
        const count = t.between(1, 3);
        for (let i = 0; i < count; i++) items.push(this.int(scope, depth + 1));
        return { k: "lit", items };
      }
      default:
        return { k: "name", name: scope.lists.at(-1)! };
    }
  }

  /** A call of a node; inside a fan-out (`item`), its first argument is mostly the item, so items differ. */
  call(scope: Scope, item?: string): Call {
    const node = this.t.of(this.nodes).name;
    const first: IntExpr = item !== undefined && !this.t.percent(30) ? { k: "name", name: item } : this.int(scope);
    return { node, args: [first, this.int(scope)] };
  }

  fanOut(scope: Scope, depth: number): FanOut {
    const t = this.t;
    const item = this.fresh(depth === 0 ? "x" : "y");
    const over = this.list(scope);
    const inner: Scope = { ints: [...scope.ints, item], lists: scope.lists };
    let nested: ItemBody["nested"] = null;
    let bodyScope = inner;
    if (depth === 0 && t.percent(30)) {
      const name = this.fresh("inner");
      nested = { name, fanOut: this.fanOut(inner, depth + 1) };
      bodyScope = { ints: inner.ints, lists: [...inner.lists, name] };
    }
    const tolerate: Tolerate | null = t.percent(35) ? (t.percent(30) ? { k: "pct", p: t.of([25, 50]) } : { k: "count", n: t.between(0, 2) }) : null;
    return {
      item,
      over,
      concurrency: t.percent(70) ? t.between(1, 4) : null,
      tolerate,
      limit: t.percent(15) ? t.between(1, 4) : null,
      body: {
        failAbove: t.percent(20) ? t.between(2, 8) : null,
        nested,
        last: t.percent(20) ? { k: "expr", expr: this.int(bodyScope) } : { k: "call", call: this.call(bodyScope, item) },
      },
    };
  }

  cond(scope: Scope): Cond {
    return { expr: this.int(scope), above: this.t.of([5, 0, 20, 100, 1000, 100_000]) };
  }
}

export function buildProgram(choices: readonly number[]): RandomProgram {
  const t = tapeOf(choices);
  const b = new Builder(t);
  const nodeCount = t.between(1, 4);
  for (let i = 0; i < nodeCount; i++) b.nodes.push(b.node());
  b.verifiers.push({ name: "holds_list", over: "list", below: t.of([1_000_000, 50, 500, 5000]) });
  b.verifiers.push({ name: "holds_int", over: "int", below: t.of([1_000_000, 50, 500, 5000]) });
  const xs: number[] = [];
  const xsLength = t.between(0, 5);
  for (let i = 0; i < xsLength; i++) xs.push(t.between(0, 9));
  const ints = ["k"];
  const lists = ["xs"];
  const body: Stmt[] = [];
  const statements = t.between(1, 6);
  for (let i = 0; i < statements; i++) {
    const scope: Scope = { ints: [...ints], lists: [...lists] };
    const kind = t.pick(20);
    if (kind < 7) {
      const name = b.fresh("v");
      body.push({ k: "let-call", name, call: b.call(scope) });
      ints.push(name);
    } else if (kind < 14) {
      const name = b.fresh("v");
      body.push({ k: "let-for", name, fanOut: b.fanOut(scope, 0) });
      lists.push(name);
    } else if (kind < 16) {
      body.push({ k: "if-call", cond: b.cond(scope), then: b.call(scope), else: t.percent(50) ? b.call(scope) : null });
    } else if (kind < 18) {
      const onList = t.percent(50);
      body.push({
        k: "verify",
        verifier: onList ? "holds_list" : "holds_int",
        arg: onList ? { k: "list", list: b.list(scope) } : { k: "int", expr: b.int(scope) },
      });
    } else if (kind < 19) {
      body.push({ k: "if-fail", cond: b.cond(scope) });
    } else {
      body.push({ k: "if-return", cond: b.cond(scope), value: [b.int(scope), b.int(scope)] });
    }
  }
  const result: IntExpr[] = ints.map((name) => ({ k: "name", name }));
  for (const name of lists.slice(1)) result.push({ k: "sum", list: { k: "name", name } }, { k: "len", list: { k: "name", name } });
  return { nodes: b.nodes, verifiers: b.verifiers, body, result, xs, k: t.between(0, 9), concurrency: t.of([4, 1, 2, 3, 8, 16]) };
}

/** Programs from tapes of choices: shrinking the tape shrinks the program. */
export const arbitraryProgram: fc.Arbitrary<RandomProgram> = fc
  .array(fc.noBias(fc.nat({ max: 1_000_000 })), { minLength: 60, maxLength: 300 })
  .map(buildProgram, (value) => {
    throw new Error(`a program is built from a tape, not unmapped from ${String(value)}`);
  });

// --- The text ---------------------------------------------------------------

function showInt(e: IntExpr): string {
  switch (e.k) {
    case "lit":
      return String(e.v);
    case "name":
      return e.name;
    case "plus":
      return `(${e.name} + ${e.v})`;
    case "sum":
      return `sum(${showList(e.list)}, z => z)`;
    case "len":
      return `len(${showList(e.list)})`;
  }
}

function showList(e: ListExpr): string {
  return e.k === "name" ? e.name : `[${e.items.map(showInt).join(", ")}]`;
}

function showCall(program: RandomProgram, call: Call): string {
  const node = nodeOf(program, call.node);
  return `${call.node}(${call.args.map(showInt).join(", ")}${node.flaky !== null ? ", marker" : ""})`;
}

function nodeOf(program: RandomProgram, name: string): NodeSpec {
  const node = program.nodes.find((n) => n.name === name);
  if (node === undefined) throw new Error(`no node ${name}`);
  return node;
}

function showNode(node: NodeSpec): string {
  const usesSteps = node.steps.length > 0 || node.flaky !== null;
  const lines = [`node ${node.name}(a: int, b: int${node.flaky !== null ? ", marker: string" : ""}) -> int`];
  if (usesSteps) lines.push("  effects { proc }");
  lines.push(`  budget  { compute: ${usesSteps ? "10s" : "1s"} }`);
  if (node.flaky !== null) lines.push(`  retry   ${node.flaky.retries}${node.flaky.backoff === null ? "" : ` backoff ${node.flaky.backoff}`} on [Transient]`);
  lines.push("{");
  if (node.failAbove !== null) lines.push(`  if a > ${node.failAbove} {`, `    fail Failed("${node.name}: über ${"${a as string}"}")`, "  }");
  let prev = "b";
  node.steps.forEach((step, i) => {
    lines.push(`  let r${i} = trim(sh("sleep 0.00${step.sleep}; echo ${"${"}(${prev} * ${step.mul} + a + ${step.add}) as string}").stdout) as int`);
    if (node.checkpointAfter === i) lines.push(`  checkpoint "after step ${i}"`);
    prev = `r${i}`;
  });
  if (node.flaky !== null) {
    lines.push(
      `  let first = sh("m=${"${marker}"}/${node.name}-${"${a as string}"}-${"${b as string}"}; if [ -e $m ]; then exit 0; fi; touch $m; exit 3")`,
      "  if first.exit != 0 {",
      `    fail Transient("${node.name}: first attempt")`,
      "  }",
    );
  }
  lines.push(`  return ${prev} * ${node.mul} + a + ${node.add}`, "}");
  return lines.join("\n");
}

function showVerifier(v: VerifierSpec): string {
  return v.over === "list"
    ? `verifier ${v.name}(ns: List<int>) -> bool {\n  return all(ns, n => n < ${v.below})\n}`
    : `verifier ${v.name}(n: int) -> bool {\n  return n < ${v.below}\n}`;
}

function showFanOut(program: RandomProgram, f: FanOut, indent: string): string {
  const mods = [
    f.concurrency === null ? "" : ` concurrency ${f.concurrency}`,
    f.tolerate === null ? "" : ` tolerate ${f.tolerate.k === "count" ? f.tolerate.n : `${f.tolerate.p}%`}`,
    f.limit === null ? "" : ` limit ${f.limit}`,
  ].join("");
  const inner = `${indent}  `;
  const lines = [`for ${f.item} in ${showList(f.over)}${mods} {`];
  if (f.body.failAbove !== null) lines.push(`${inner}if ${f.item} > ${f.body.failAbove} {`, `${inner}  fail Failed("item ${"${"}${f.item} as string}")`, `${inner}}`);
  if (f.body.nested !== null) lines.push(`${inner}let ${f.body.nested.name} = ${showFanOut(program, f.body.nested.fanOut, inner)}`);
  lines.push(`${inner}${f.body.last.k === "call" ? showCall(program, f.body.last.call) : showInt(f.body.last.expr)}`);
  lines.push(`${indent}}`);
  return lines.join("\n");
}

function showStmt(program: RandomProgram, s: Stmt): string {
  switch (s.k) {
    case "let-call":
      return `  let ${s.name} = ${showCall(program, s.call)}`;
    case "let-for":
      return `  let ${s.name} = ${showFanOut(program, s.fanOut, "  ")}`;
    case "if-call":
      return [
        `  if ${showInt(s.cond.expr)} > ${s.cond.above} {`,
        `    ${showCall(program, s.then)}`,
        ...(s.else === null ? ["  }"] : ["  } else {", `    ${showCall(program, s.else)}`, "  }"]),
      ].join("\n");
    case "if-fail":
      return [`  if ${showInt(s.cond.expr)} > ${s.cond.above} {`, `    fail Failed("stopped: ${showInt(s.cond.expr).replace(/"/g, "")}")`, "  }"].join("\n");
    case "if-return":
      return [`  if ${showInt(s.cond.expr)} > ${s.cond.above} {`, `    return [${s.value.map(showInt).join(", ")}]`, "  }"].join("\n");
    case "verify":
      return `  verify ${s.verifier}(${s.arg.k === "list" ? showList(s.arg.list) : showInt(s.arg.expr)}) else "${s.verifier} does not hold"`;
  }
}

export function programText(program: RandomProgram): string {
  return [
    'import { sh } from "std/sandbox"',
    'import { trim } from "std/text"',
    'import { all, len, sum } from "std/list"',
    "",
    ...program.nodes.map((n) => `${showNode(n)}\n`),
    ...program.verifiers.map((v) => `${showVerifier(v)}\n`),
    `workflow ${workflowName}(xs: List<int, max 5>, k: int, marker: string) -> List<int>`,
    "  budget { compute: 100h }",
    "  grants { proc }",
    "{",
    ...program.body.map((s) => showStmt(program, s)),
    `  return [${program.result.map(showInt).join(", ")}]`,
    "}",
    "",
  ].join("\n");
}

// --- The oracle -------------------------------------------------------------

/** Something failed on the way to this value (or it was skipped because what it reads failed). */
const failed = Symbol("failed");
type Value = number | readonly number[] | typeof failed;

export type Prediction = { readonly outcome: "completed"; readonly result: readonly number[] } | { readonly outcome: "failed" };

/**
 * What the run must end with, read sequentially: a failure anywhere before
 * the `return` that is reached (a node's `fail`, a fan-out with more failed
 * items than it tolerates, a `verify` that does not hold, a `fail`) fails
 * the run; a failed item of a fan-out with `tolerate` is dropped.
 */
export function predict(program: RandomProgram): Prediction {
  return new Oracle(program).run();
}

/**
 * Whether the program has a fan-out without `tolerate` in which an item
 * fails: the shape of the interpreter bug that test/replay-properties.test.ts
 * pins down ("known bugs"), which leaves such a run parked, or completes it
 * without the failed item (and then replay, deciding after other batches,
 * may disagree with the recording).
 */
export function failsInFanOut(program: RandomProgram): boolean {
  const oracle = new Oracle(program);
  oracle.run();
  return oracle.failedInFanOut;
}

class Oracle {
  private readonly env: Map<string, Value>;
  private anyFailure = false;
  failedInFanOut = false;

  constructor(private readonly program: RandomProgram) {
    this.env = new Map<string, Value>([
      ["k", program.k],
      ["xs", program.xs],
    ]);
  }

  run(): Prediction {
    const { env } = this;
    for (const s of this.program.body) {
      switch (s.k) {
        case "let-call":
          env.set(s.name, this.note(this.call(s.call, env)));
          break;
        case "let-for":
          env.set(s.name, this.note(this.fanOut(s.fanOut, env)));
          break;
        case "if-call": {
          const c = this.note(this.int(s.cond.expr, env));
          if (c === failed) break;
          const branch = (c as number) > s.cond.above ? s.then : s.else;
          if (branch !== null) this.note(this.call(branch, env));
          break;
        }
        case "if-fail": {
          const c = this.note(this.int(s.cond.expr, env));
          if (c !== failed && (c as number) > s.cond.above) return { outcome: "failed" };
          break;
        }
        case "if-return": {
          const c = this.note(this.int(s.cond.expr, env));
          if (c !== failed && (c as number) > s.cond.above) return this.end(s.value);
          break;
        }
        case "verify": {
          const v = this.program.verifiers.find((x) => x.name === s.verifier)!;
          const arg = this.note(s.arg.k === "list" ? this.list(s.arg.list, env) : this.int(s.arg.expr, env));
          if (this.anyFailure) return { outcome: "failed" };
          const numbers = typeof arg === "number" ? [arg] : (arg as readonly number[]);
          if (!numbers.every((n) => n < v.below)) return { outcome: "failed" };
          break;
        }
      }
    }
    return this.end(this.program.result);
  }

  private note(v: Value): Value {
    if (v === failed) this.anyFailure = true;
    return v;
  }

  private end(values: readonly IntExpr[]): Prediction {
    const result = values.map((e) => this.int(e, this.env));
    if (this.anyFailure || result.some((v) => v === failed)) return { outcome: "failed" };
    return { outcome: "completed", result: result as number[] };
  }

  private int(e: IntExpr, env: ReadonlyMap<string, Value>): Value {
    switch (e.k) {
      case "lit":
        return e.v;
      case "name":
        return lookup(env, e.name);
      case "plus": {
        const v = lookup(env, e.name);
        return v === failed ? failed : (v as number) + e.v;
      }
      case "sum": {
        const l = this.list(e.list, env);
        return l === failed ? failed : (l as readonly number[]).reduce((a, b) => a + b, 0);
      }
      case "len": {
        const l = this.list(e.list, env);
        return l === failed ? failed : (l as readonly number[]).length;
      }
    }
  }

  private list(e: ListExpr, env: ReadonlyMap<string, Value>): Value {
    if (e.k === "name") return lookup(env, e.name);
    const items = e.items.map((i) => this.int(i, env));
    return items.some((v) => v === failed) ? failed : (items as number[]);
  }

  private call(c: Call, env: ReadonlyMap<string, Value>): Value {
    const a = this.int(c.args[0], env);
    const b = this.int(c.args[1], env);
    if (a === failed || b === failed) return failed;
    return runNode(nodeOf(this.program, c.node), a as number, b as number);
  }

  private fanOut(f: FanOut, env: ReadonlyMap<string, Value>): Value {
    const over = this.list(f.over, env);
    if (over === failed) return failed;
    const items = f.limit === null ? (over as readonly number[]) : (over as readonly number[]).slice(0, f.limit);
    const values: number[] = [];
    let dropped = 0;
    let failedItem = false;
    items.forEach((item) => {
      const v = this.item(f, new Map([...env, [f.item, item]]));
      if (v !== failed) values.push(v);
      else if (f.tolerate !== null) dropped++;
      else {
        failedItem = true;
        this.failedInFanOut = true;
      }
    });
    if (f.tolerate !== null) {
      const tolerated = f.tolerate.k === "count" ? f.tolerate.n : Math.floor((f.tolerate.p / 100) * items.length + 1e-9);
      if (dropped > tolerated) return failed;
    }
    return failedItem ? failed : values;
  }

  private item(f: FanOut, env: Map<string, Value>): number | typeof failed {
    const item = env.get(f.item) as number;
    let blocked = f.body.failAbove !== null && item > f.body.failAbove;
    if (f.body.nested !== null) {
      const v = this.fanOut(f.body.nested.fanOut, env);
      env.set(f.body.nested.name, v);
      if (v === failed) blocked = true;
    }
    const last = f.body.last.k === "call" ? this.call(f.body.last.call, env) : this.int(f.body.last.expr, env);
    return blocked || last === failed ? failed : (last as number);
  }
}

function lookup(env: ReadonlyMap<string, Value>, name: string): Value {
  const v = env.get(name);
  if (v === undefined) throw new Error(`the oracle has no ${name}`);
  return v;
}

/** A node's result, as its body computes it: `failed` when it fails (retries of a flaky node always succeed). */
export function runNode(node: NodeSpec, a: number, b: number): Value {
  if (node.failAbove !== null && a > node.failAbove) return failed;
  let prev = b;
  for (const step of node.steps) prev = prev * step.mul + a + step.add;
  return prev * node.mul + a + node.add;
}
