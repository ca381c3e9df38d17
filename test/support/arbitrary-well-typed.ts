import fc from "fast-check";

/**
 * Random *well-typed* programs, for the type checker's properties: record
 * types, nodes that take and return them, verifiers, and a workflow that
 * calls them with correctly typed arguments, fans out over bounded lists
 * and uses std/list functions with lambdas, optionals with `??` and early
 * returns, and `int` where `float` is expected.
 *
 * A program is built from a tape of choices (`fc.array(fc.nat())`): every
 * choice is `tape[i] % options`, past the end of the tape every choice is
 * 0, and option 0 is always the simplest. So shrinking the tape toward
 * zeros shrinks the program toward literals, and a failure comes back
 * small.
 *
 * Each argument of a call to a node or verifier whose parameter has a
 * primitive type is a *slot*: the program can be rendered with one slot's
 * text replaced, and says where the slot then stands.
 */

type Prim = "string" | "int" | "float" | "bool" | "duration";

type Ty =
  | { readonly k: "prim"; readonly name: Prim }
  | { readonly k: "rec"; readonly name: string }
  | { readonly k: "list"; readonly elem: Ty; readonly max: number }
  | { readonly k: "opt"; readonly inner: Ty };

interface RecordDecl {
  readonly name: string;
  readonly fields: readonly { readonly name: string; readonly ty: Ty }[];
}

interface Callable {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly ty: Ty }[];
  readonly result: Ty;
}

/** A value in scope: a name or a path of fields (`p.owner`), with its type. */
interface Bound {
  readonly text: string;
  readonly ty: Ty;
}

export interface Slot {
  readonly id: number;
  /** The parameter's type. */
  readonly type: Prim;
  /** The call and parameter, for messages. */
  readonly callee: string;
}

type Segment = string | { readonly slot: Slot; readonly text: string };

export interface WellTypedProgram {
  readonly segments: readonly Segment[];
  readonly slots: readonly Slot[];
}

/** The program's text, with `replace` given for one slot: also where that slot stands. */
export function render(program: WellTypedProgram, replace?: { readonly slot: number; readonly text: string }): { text: string; span?: { start: number; end: number } } {
  let text = "";
  let span: { start: number; end: number } | undefined;
  for (const segment of program.segments) {
    if (typeof segment === "string") {
      text += segment;
      continue;
    }
    const replaced = replace !== undefined && replace.slot === segment.slot.id;
    const piece = replaced ? replace.text : segment.text;
    if (replaced) span = { start: text.length, end: text.length + piece.length };
    text += piece;
  }
  return span === undefined ? { text } : { text, span };
}

/** A literal of another primitive type, which does not fit `type` (`int` would fit `float`). */
export function wrongLiteral(type: Prim): string {
  switch (type) {
    case "string":
      return "42";
    case "int":
      return '"seven"';
    case "float":
      return "true";
    case "bool":
      return "1";
    case "duration":
      return '"soon"';
  }
}

const prims: readonly Prim[] = ["string", "int", "float", "bool", "duration"];

function show(ty: Ty): string {
  switch (ty.k) {
    case "prim":
      return ty.name;
    case "rec":
      return ty.name;
    case "list":
      return `List<${show(ty.elem)}, max ${ty.max}>`;
    case "opt":
      return `${show(ty.inner)}?`;
  }
}

function same(a: Ty, b: Ty): boolean {
  return show(a) === show(b);
}

/** Whether a value of `from` fits where `to` is expected, by the rules the generator relies on. */
function fits(from: Ty, to: Ty): boolean {
  if (to.k === "opt") return fits(from.k === "opt" ? from.inner : from, to.inner);
  if (from.k === "opt") return false;
  if (from.k === "prim" && to.k === "prim") return from.name === to.name || (from.name === "int" && to.name === "float");
  if (from.k === "list" && to.k === "list") return from.max <= to.max && same(from.elem, to.elem);
  return same(from, to);
}

class Tape {
  private at = 0;
  constructor(private readonly choices: readonly number[]) {}
  /** A choice among `n` options, 0 the simplest. */
  pick(n: number): number {
    const c = this.choices[this.at++];
    return c === undefined || n <= 1 ? 0 : c % n;
  }
  chance(outOf: number): boolean {
    return this.pick(outOf) === 1;
  }
  of<T>(items: readonly T[]): T {
    return items[this.pick(items.length)]!;
  }
}

class Builder {
  private counter = 0;
  readonly records: RecordDecl[] = [];
  readonly slots: Slot[] = [];

  constructor(readonly tape: Tape) {}

  fresh(prefix: string): string {
    return `${prefix}${++this.counter}`;
  }

  slot(type: Prim, callee: string, text: string): Segment {
    const slot = { id: this.slots.length, type, callee };
    this.slots.push(slot);
    return { slot, text };
  }

  // ─────────────────────────────── types ───────────────────────────────

  primType(): Ty {
    return { k: "prim", name: this.tape.of(prims) };
  }

  /** A type for a parameter, field or result: records only from those declared before. */
  type(depth: number): Ty {
    const t = this.tape;
    const choice = depth > 1 ? 0 : t.pick(6);
    if (choice === 1 && this.records.length > 0) return { k: "rec", name: t.of(this.records).name };
    if (choice === 2) return { k: "list", elem: this.type(depth + 1), max: 1 + t.pick(12) };
    if (choice === 3) return { k: "opt", inner: this.primType() };
    if (choice === 4 && this.records.length > 0) return { k: "list", elem: { k: "rec", name: t.of(this.records).name }, max: 2 + t.pick(40) };
    return this.primType();
  }

  record(): RecordDecl {
    const fields = Array.from({ length: 1 + this.tape.pick(4) }, () => ({ name: this.fresh("f"), ty: this.type(0) }));
    const decl = { name: this.fresh("R"), fields };
    this.records.push(decl);
    return decl;
  }

  fieldsOf(ty: Ty): readonly { name: string; ty: Ty }[] {
    return ty.k === "rec" ? this.records.find((r) => r.name === ty.name)!.fields : [];
  }

  /** Every value reachable from the scope by fields, each with its type. */
  paths(scope: readonly Bound[]): Bound[] {
    const out: Bound[] = [];
    const walk = (b: Bound, depth: number): void => {
      out.push(b);
      if (depth < 3) for (const f of this.fieldsOf(b.ty)) walk({ text: `${b.text}.${f.name}`, ty: f.ty }, depth + 1);
    };
    for (const b of scope) walk(b, 0);
    return out;
  }

  // ──────────────────────────── expressions ────────────────────────────

  /** An expression of a type that fits `ty`, from what `scope` holds. */
  expr(ty: Ty, scope: readonly Bound[], depth: number): Segment[] {
    const t = this.tape;
    const deep = depth > 3;
    const usable = this.paths(scope).filter((b) => fits(b.ty, ty));
    // Half the time, and always when deep, a value in scope if there is one.
    if (usable.length > 0 && (deep || t.chance(2))) return [t.of(usable).text];
    switch (ty.k) {
      case "prim":
        return this.prim(ty.name, scope, deep ? 0 : depth);
      case "rec": {
        const fields = this.fieldsOf(ty);
        const parts: Segment[] = ["{ "];
        let first = true;
        for (const f of fields) {
          // Optional fields may be left out.
          if (f.ty.k === "opt" && t.chance(3)) continue;
          parts.push(first ? "" : ", ", `${f.name}: `, ...this.expr(f.ty, scope, depth + 1));
          first = false;
        }
        parts.push(" }");
        return first ? ["{}"] : parts;
      }
      case "opt": {
        const choice = deep ? 0 : t.pick(4);
        if (choice === 1) return this.expr(ty.inner, scope, depth + 1);
        if (choice === 2) {
          const lists = this.paths(scope).filter((b) => b.ty.k === "list" && same(b.ty.elem, ty.inner));
          if (lists.length > 0) return [`first(${t.of(lists).text})`];
        }
        if (choice === 3) {
          const optionals = this.paths(scope).filter((b) => b.ty.k === "opt" && fits(b.ty.inner, ty.inner));
          if (optionals.length > 0) return [`${t.of(optionals).text} ?? `, ...this.expr(ty.inner, scope, depth + 1)];
        }
        return ["null"];
      }
      case "list":
        return this.list(ty, scope, deep ? 4 : depth);
    }
  }

  private prim(name: Prim, scope: readonly Bound[], depth: number): Segment[] {
    const t = this.tape;
    const of = (p: Prim) => this.paths(scope).filter((b) => b.ty.k === "prim" && b.ty.name === p);
    const lists = this.paths(scope).filter((b) => b.ty.k === "list");
    const choice = depth > 3 ? 0 : t.pick(6);
    const sub = (p: Prim) => this.expr({ k: "prim", name: p }, scope, depth + 1);
    switch (name) {
      case "string": {
        if (choice === 1 && of("string").length > 0) return [`"v-\${${t.of(of("string")).text}}"`];
        if (choice === 2) return ["trim(", ...sub("string"), ")"];
        if (choice === 3 && lists.length > 0) {
          const xs = t.of(lists);
          return this.lambdaCall("join(map", xs, (x) => this.expr({ k: "prim", name: "string" }, x, depth + 1), '), ", ")');
        }
        return [`"s${t.pick(100)}"`];
      }
      case "int": {
        if (choice === 1 && lists.length > 0) return [`len(${t.of(lists).text})`];
        if (choice === 2) return ["(", ...sub("int"), " + ", ...sub("int"), ")"];
        if (choice === 3 && lists.length > 0) return this.lambdaCall("count", t.of(lists), (x) => this.expr({ k: "prim", name: "bool" }, x, depth + 1));
        if (choice === 4) return ["length(", ...sub("string"), ")"];
        return [String(t.pick(1000))];
      }
      case "float": {
        // `int` widens to `float`.
        if (choice === 1) return sub("int");
        if (choice === 2) return ["(", ...sub("float"), " * 2.5)"];
        if (choice === 3 && lists.length > 0) return this.lambdaCall("sum", t.of(lists), (x) => this.expr({ k: "prim", name: "float" }, x, depth + 1));
        return [`${t.pick(100)}.5`];
      }
      case "bool": {
        if (choice === 1) return ["(", ...sub("int"), " < ", ...sub("int"), ")"];
        if (choice === 2 && lists.length > 0) return this.lambdaCall(t.of(["all", "any"]), t.of(lists), (x) => this.expr({ k: "prim", name: "bool" }, x, depth + 1));
        if (choice === 3) return ["(", ...sub("bool"), " && !", ...sub("bool"), ")"];
        if (choice === 4) {
          const optionals = this.paths(scope).filter((b) => b.ty.k === "opt");
          if (optionals.length > 0) {
            // `o != null && …o…`: the right side may use `o` as present.
            const o = t.of(optionals);
            const inner = (o.ty as { inner: Ty }).inner;
            return ["(", `${o.text} != null && `, ...this.expr({ k: "prim", name: "bool" }, [...scope, { text: o.text, ty: inner }], depth + 1), ")"];
          }
        }
        // A constant compared with a constant is always false, and reported: compare a value.
        if (choice === 5 && of("string").length > 0) return [`(${t.of(of("string")).text} == "s${t.pick(10)}")`];
        return [t.of(["true", "false"])];
      }
      case "duration": {
        if (choice === 1) return ["(", ...sub("duration"), " * 2)"];
        if (choice === 2) return ["(", ...sub("duration"), " + 30s)"];
        return [t.of(["5m", "30s", "2h", "1d"])];
      }
    }
  }

  /** `f(xs, x => body)`, the lambda's parameter an item of `xs`. */
  private lambdaCall(f: string, xs: Bound, body: (scope: Bound[]) => Segment[], after = ")"): Segment[] {
    const x = this.fresh("x");
    const elem = (xs.ty as { elem: Ty }).elem;
    return [`${f}(${xs.text}, ${x} => `, ...body([{ text: x, ty: elem }]), after];
  }

  private list(ty: { k: "list"; elem: Ty; max: number }, scope: readonly Bound[], depth: number): Segment[] {
    const t = this.tape;
    const deep = depth > 3;
    const choice = deep ? 0 : t.pick(7);
    const lists = this.paths(scope).filter((b) => b.ty.k === "list");
    const fitting = lists.filter((b) => fits(b.ty, ty));
    const sameItems = lists.filter((b) => b.ty.k === "list" && same(b.ty.elem, ty.elem));
    if (choice === 1) {
      const items = Array.from({ length: 1 + t.pick(Math.min(ty.max, 3)) }, () => this.expr(ty.elem, scope, depth + 1));
      return ["[", ...items.flatMap((item, i) => (i === 0 ? item : [", ", ...item])), "]"];
    }
    if (choice === 2) {
      // `map` keeps the bound.
      const from = lists.filter((b) => (b.ty as { max: number }).max <= ty.max);
      if (from.length > 0) return this.lambdaCall("map", t.of(from), (x) => this.expr(ty.elem, [...scope, ...x], depth + 1));
    }
    if (choice === 3 && fitting.length > 0) return this.lambdaCall("filter", t.of(fitting), (x) => this.expr({ k: "prim", name: "bool" }, [...scope, ...x], depth + 1));
    if (choice === 4 && sameItems.length > 0) return [`take(${t.of(sameItems).text}, ${1 + t.pick(ty.max)})`];
    if (choice === 5 && fitting.length > 0) {
      const key: Prim = t.of(["int", "string"] as const);
      return this.lambdaCall("sort_by", t.of(fitting), (x) => this.expr({ k: "prim", name: key }, x, depth + 1));
    }
    if (choice === 6) {
      const from = lists.filter((b) => (b.ty as { max: number }).max <= ty.max);
      if (from.length > 0) {
        // A `for` yields its body's last expression for each item.
        const xs = t.of(from);
        const x = this.fresh("x");
        return [`for ${x} in ${xs.text} { `, ...this.expr(ty.elem, [...scope, { text: x, ty: (xs.ty as { elem: Ty }).elem }], depth + 1), " }"];
      }
    }
    return ["[]"];
  }

  // ──────────────────────────── declarations ────────────────────────────

  params(): { name: string; ty: Ty }[] {
    return Array.from({ length: 1 + this.tape.pick(3) }, () => ({ name: this.fresh("p"), ty: this.type(0) }));
  }

  node(): { decl: Segment[]; callable: Callable } {
    const t = this.tape;
    const name = this.fresh("n");
    const params = this.params();
    const result = this.type(0);
    const scope: Bound[] = params.map((p) => ({ text: p.name, ty: p.ty }));
    const body: Segment[] = [];
    const usesShell = t.chance(3);
    if (usesShell) {
      const out = this.fresh("out");
      body.push(`  let ${out} = sh("echo hello", timeout: 1m)\n`);
      scope.push({ text: `${out}.stdout`, ty: { k: "prim", name: "string" } }, { text: `${out}.exit`, ty: { k: "prim", name: "int" } });
    }
    for (let i = t.pick(3); i > 0; i--) {
      const ty = this.type(0);
      const v = this.fresh("v");
      body.push(`  let ${v}: ${show(ty)} = `, ...this.expr(ty, scope, 0), "\n");
      scope.push({ text: v, ty });
    }
    // An early return: below it, the optional is present.
    const optionals = this.paths(scope).filter((b) => b.ty.k === "opt");
    if (optionals.length > 0 && t.chance(2)) {
      const o = t.of(optionals);
      body.push(`  if ${o.text} == null {\n    return `, ...this.expr(result, scope, 0), "\n  }\n");
      scope.push({ text: o.text, ty: (o.ty as { inner: Ty }).inner });
    }
    body.push("  return ", ...this.expr(result, scope, 0), "\n");
    const signature = `node ${name}(${params.map((p) => `${p.name}: ${show(p.ty)}`).join(", ")}) -> ${show(result)}\n`;
    return {
      decl: [signature, usesShell ? "  effects { proc }\n" : "", "{\n", ...body, "}\n\n"],
      callable: { name, params, result },
    };
  }

  verifier(): { decl: Segment[]; callable: Callable } {
    const name = this.fresh("check");
    const params = this.params();
    const decl: Segment[] = [
      `verifier ${name}(${params.map((p) => `${p.name}: ${show(p.ty)}`).join(", ")}) -> bool {\n  return `,
      ...this.expr({ k: "prim", name: "bool" }, params.map((p) => ({ text: p.name, ty: p.ty })), 0),
      "\n}\n\n",
    ];
    return { decl, callable: { name, params, result: { k: "prim", name: "bool" } } };
  }

  /** `f(a, b)`, each argument of a primitive parameter a slot. */
  call(callee: Callable, scope: readonly Bound[], depth: number, first?: string): Segment[] {
    const args = callee.params.map((p, i): Segment[] => {
      if (i === 0 && first !== undefined) return [first];
      const arg = this.expr(p.ty, scope, depth);
      if (p.ty.k !== "prim") return arg;
      return [this.slot(p.ty.name, `${callee.name}(${p.name})`, render({ segments: arg, slots: [] }).text)];
    });
    return [`${callee.name}(`, ...args.flatMap((a, i) => (i === 0 ? a : [", ", ...a])), ")"];
  }

  workflow(nodes: readonly Callable[], verifiers: readonly Callable[]): Segment[] {
    const t = this.tape;
    const params = this.params();
    const scope: Bound[] = params.map((p) => ({ text: p.name, ty: p.ty }));
    const body: Segment[] = [];
    for (let i = 1 + t.pick(4); i > 0; i--) {
      const node = t.of(nodes);
      const v = this.fresh("r");
      const first = node.params[0]!;
      if (t.chance(2)) {
        // A fan-out over a bounded list of what the node takes first.
        const max = 1 + t.pick(30);
        const listTy: Ty = { k: "list", elem: first.ty, max };
        const xs = this.fresh("xs");
        body.push(`  let ${xs}: ${show(listTy)} = `, ...this.expr(listTy, scope, 0), "\n");
        const x = this.fresh("x");
        const inner = [...scope, { text: x, ty: first.ty }];
        const width = 1 + t.pick(16);
        body.push(`  let ${v} = for ${x} in ${xs} concurrency ${width} { `, ...this.call(node, inner, 0, x), " }\n");
        scope.push({ text: xs, ty: listTy }, { text: v, ty: { k: "list", elem: node.result, max } });
      } else {
        body.push(`  let ${v} = `, ...this.call(node, scope, 0), "\n");
        scope.push({ text: v, ty: node.result });
      }
    }
    for (const check of verifiers) body.push("  verify ", ...this.call(check, scope, 0), ' else "failed"\n');
    body.push("  return ", ...this.expr({ k: "prim", name: "int" }, scope, 0), "\n");
    return [`workflow main(${params.map((p) => `${p.name}: ${show(p.ty)}`).join(", ")}) -> int\n  grants { proc }\n{\n`, ...body, "}\n"];
  }
}

/** Every std function a program may use: each is used once by `std_uses`, so that no import goes unused. */
const prelude = `import { sh } from "std/sandbox"
import { map, filter, all, any, count, sum, sort_by, take, first, len } from "std/list"
import { trim, join, length } from "std/text"

node std_uses(xs: List<int, max 5>) -> int
  effects { proc }
{
  let out = sh("true", timeout: 1m)
  let sorted = sort_by(take(filter(map(xs, a => a + 1), b => b > 0), 3), c => c)
  let flags = all(sorted, d => d > 0) && any(sorted, e => e > 1)
  let head = first(sorted) ?? 0
  let total = sum(sorted, g => g) + count(sorted, h => h > 2) + len(sorted) + head
  let text = join(map(sorted, i => "\${trim(out.stdout)}"), ",")
  if flags {
    return total + length(text)
  }
  return total
}

`;

function build(choices: readonly number[]): WellTypedProgram {
  const b = new Builder(new Tape(choices));
  const segments: Segment[] = [prelude];
  for (let i = b.tape.pick(4); i > 0; i--) {
    const r = b.record();
    segments.push(`type ${r.name} = { ${r.fields.map((f) => `${f.name}: ${show(f.ty)}`).join(", ")} }\n`);
  }
  segments.push("\n");
  const nodes: Callable[] = [];
  for (let i = 1 + b.tape.pick(3); i > 0; i--) {
    const { decl, callable } = b.node();
    segments.push(...decl);
    nodes.push(callable);
  }
  const verifiers: Callable[] = [];
  for (let i = b.tape.pick(2); i > 0; i--) {
    const { decl, callable } = b.verifier();
    segments.push(...decl);
    verifiers.push(callable);
  }
  segments.push(...b.workflow(nodes, verifiers));
  return { segments, slots: b.slots };
}

export const wellTypedProgram: fc.Arbitrary<WellTypedProgram> = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 600, size: "max" }).map(build);
